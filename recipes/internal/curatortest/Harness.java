// Harness is compiled beside every package's testdata/curator/*.java by
// zabkit's curatortest package (curatortest.go). It gives the programs a
// started Curator client, tab-separated output lines that reach the Go
// test at once, and the commands the test writes on stdin: a line "stop",
// or stdin closed, asks the program to finish.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

public final class Harness {
    private Harness() {}

    private static final String STOP = "stop";
    private static final BlockingQueue<String> commands = new LinkedBlockingQueue<>();
    private static volatile boolean stopping;

    static {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null;) {
                    if (line.equals(STOP)) {
                        break;
                    }
                    commands.add(line);
                }
            } catch (Exception e) {
                // stdin gone: the same as "stop"
            }
            stopping = true;
            commands.add(STOP);
        }, "harness-stdin");
        reader.setDaemon(true);
        reader.start();
    }

    /** client returns a started Curator client connected to connect. */
    public static CuratorFramework client(String connect) throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.newClient(connect, 10000, 10000, new ExponentialBackoffRetry(50, 10, 1000));
        c.start();
        if (!c.blockUntilConnected(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not connected to " + connect);
        }
        return c;
    }

    /** out prints the fields as one tab-separated line and flushes it. */
    public static synchronized void out(Object... fields) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                b.append('\t');
            }
            b.append(fields[i]);
        }
        System.out.println(b);
        System.out.flush();
    }

    /** stopping reports whether the test asked the program to finish. */
    public static boolean stopping() {
        return stopping;
    }

    /** command returns the next line the test wrote, or null once it asked to stop. */
    public static String command() throws InterruptedException {
        String c = commands.take();
        if (c.equals(STOP)) {
            commands.add(STOP); // every later call sees it too
            return null;
        }
        return c;
    }

    /** awaitStop blocks until the test asks the program to finish. */
    public static void awaitStop() throws InterruptedException {
        while (command() != null) {
        }
    }
}
