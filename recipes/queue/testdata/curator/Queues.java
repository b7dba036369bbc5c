// Queues runs Apache Curator's SimpleDistributedQueue, DistributedQueue,
// DistributedPriorityQueue and DistributedDelayQueue beside the Go queues
// on the same path for queue's interop tests (curator_test.go). Output is
// tab-separated lines.
//
//	java Queues <connect> produce <kind> <path> <prefix> <n>
//	    puts items <prefix>-0 .. <prefix>-<n-1>, printing "put <item>"
//	    after each, then "done". kind is simple, queue, priority (item i
//	    with priority i%3) or delay (item i due i seconds before now).
//	java Queues <connect> hold <path> <lockPath>
//	    a DistributedQueue consumer with a lock path that prints "got
//	    <item>" for the first item and never finishes it; on the command
//	    "stop" its client closes (its session and lock node end) and the
//	    program exits: a consumer that dies in the middle of an item.
//	java Queues <connect> consume <kind> <path> <lockPath|-> <n>
//	    takes n items (n < 0: until the command "stop"), printing
//	    "got <item>" for each, then, once the queue is empty, "done".
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.queue.DistributedDelayQueue;
import org.apache.curator.framework.recipes.queue.DistributedPriorityQueue;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBase;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.recipes.queue.SimpleDistributedQueue;
import org.apache.curator.framework.state.ConnectionState;

public class Queues {
    static final QueueSerializer<byte[]> BYTES = new QueueSerializer<byte[]>() {
        public byte[] serialize(byte[] item) { return item; }
        public byte[] deserialize(byte[] bytes) { return bytes; }
    };

    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = Harness.client(args[0])) {
            String kind = args[2], path = args[3];
            if (args[1].equals("hold")) {
                hold(client, args[2], args[3]);
                return;
            }
            if (args[1].equals("produce")) {
                produce(client, kind, path, args[4], Integer.parseInt(args[5]));
            } else {
                consume(client, kind, path, args[4], Integer.parseInt(args[5]));
            }
            Harness.out("done");
        }
    }

    static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static void produce(CuratorFramework client, String kind, String path, String prefix, int n) throws Exception {
        if (kind.equals("simple")) {
            SimpleDistributedQueue q = new SimpleDistributedQueue(client, path);
            for (int i = 0; i < n; i++) {
                q.offer(bytes(prefix + "-" + i));
                Harness.out("put", prefix + "-" + i);
            }
            return;
        }
        QueueBuilder<byte[]> b = QueueBuilder.builder(client, null, BYTES, path).putInBackground(false);
        long now = System.currentTimeMillis();
        switch (kind) {
            case "queue": {
                DistributedQueue<byte[]> q = b.buildQueue();
                q.start();
                for (int i = 0; i < n; i++) {
                    q.put(bytes(prefix + "-" + i));
                    Harness.out("put", prefix + "-" + i);
                }
                q.close();
                break;
            }
            case "priority": {
                DistributedPriorityQueue<byte[]> q = b.buildPriorityQueue(0);
                q.start();
                for (int i = 0; i < n; i++) {
                    q.put(bytes(prefix + "-" + i), i % 3);
                    Harness.out("put", prefix + "-" + i);
                }
                q.close();
                break;
            }
            case "delay": {
                DistributedDelayQueue<byte[]> q = b.buildDelayQueue();
                q.start();
                for (int i = 0; i < n; i++) {
                    q.put(bytes(prefix + "-" + i), now - 1000L * i);
                    Harness.out("put", prefix + "-" + i);
                }
                q.close();
                break;
            }
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    static void hold(CuratorFramework client, String path, String lockPath) throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        QueueConsumer<byte[]> consumer = new QueueConsumer<byte[]>() {
            public void consumeMessage(byte[] item) throws Exception {
                Harness.out("got", new String(item, StandardCharsets.UTF_8));
                never.await();
            }
            public void stateChanged(CuratorFramework c, ConnectionState s) {}
        };
        DistributedQueue<byte[]> q = QueueBuilder.builder(client, consumer, BYTES, path).lockPath(lockPath).buildQueue();
        q.start();
        while (Harness.command() != null) {
            // hold until "stop"
        }
        client.close();
        Harness.out("closed");
        System.exit(0);
    }

    static void consume(CuratorFramework client, String kind, String path, String lockPath, int n) throws Exception {
        if (kind.equals("simple")) {
            SimpleDistributedQueue q = new SimpleDistributedQueue(client, path);
            for (int i = 0; i < n; i++) {
                Harness.out("got", new String(q.take(), StandardCharsets.UTF_8));
            }
            return;
        }
        CountDownLatch left = new CountDownLatch(n < 0 ? 1 : n);
        QueueConsumer<byte[]> consumer = new QueueConsumer<byte[]>() {
            public void consumeMessage(byte[] item) {
                Harness.out("got", new String(item, StandardCharsets.UTF_8));
                if (n >= 0) {
                    left.countDown();
                }
            }
            public void stateChanged(CuratorFramework c, ConnectionState s) {}
        };
        QueueBuilder<byte[]> b = QueueBuilder.builder(client, consumer, BYTES, path).putInBackground(false);
        if (!lockPath.equals("-")) {
            b = b.lockPath(lockPath);
        }
        QueueBase<byte[]> q;
        switch (kind) {
            case "queue": q = b.buildQueue(); break;
            case "priority": q = b.buildPriorityQueue(0); break;
            case "delay": q = b.buildDelayQueue(); break;
            default: throw new IllegalArgumentException(kind);
        }
        q.start();
        if (n < 0) {
            while (Harness.command() != null) {
                // run until "stop"
            }
        } else {
            left.await();
        }
        // The last item is deleted after consumeMessage returned: close
        // only once the queue is empty, or the delete may be interrupted.
        while (!client.getChildren().forPath(path).isEmpty()) {
            CountDownLatch changed = new CountDownLatch(1);
            if (client.getChildren().usingWatcher((org.apache.zookeeper.Watcher) e -> changed.countDown()).forPath(path).isEmpty()) {
                break;
            }
            changed.await(1, TimeUnit.SECONDS);
        }
        q.close();
    }
}
