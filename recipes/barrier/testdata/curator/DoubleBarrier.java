// DoubleBarrier runs Apache Curator's DistributedDoubleBarrier beside the
// Go DoubleBarrier on the same path for barrier's interop tests
// (curator_test.go). Output is tab-separated lines.
//
//	java DoubleBarrier <connect> <dir> <n> <k>
//	    runs k participants of a double barrier for n, each on its own
//	    thread: prints "entering <i>", enter(), "entered <i>"; then, after
//	    the command "leave", "leaving <i>", leave(), "left <i>". Prints
//	    "done" when all k have left.
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;

public class DoubleBarrier {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = Harness.client(args[0])) {
            String dir = args[1];
            int n = Integer.parseInt(args[2]), k = Integer.parseInt(args[3]);
            CountDownLatch leave = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                int id = i;
                Thread t = new Thread(() -> {
                    try {
                        DistributedDoubleBarrier b = new DistributedDoubleBarrier(client, dir, n);
                        Harness.out("entering", id);
                        b.enter();
                        Harness.out("entered", id);
                        leave.await();
                        Harness.out("leaving", id);
                        b.leave();
                        Harness.out("left", id);
                    } catch (Exception e) {
                        Harness.out("error", id, e);
                    }
                });
                t.start();
                threads.add(t);
            }
            if ("leave".equals(Harness.command())) {
                leave.countDown();
            }
            for (Thread t : threads) {
                t.join();
            }
            Harness.out("done");
        }
    }
}
