// Capture.java drives one Apache ZooKeeper 3.8 Java-client session through
// the capture proxy of capture_test.go, so that the proxy records the exact
// bytes ZooKeeper's own client and server exchange. Run by
// TestCaptureGolden; see doc.go.
//
//   java -cp /usr/share/java/zookeeper.jar Capture.java <direct host:port> <proxy host:port>
//
// The direct address is only used to remove /golden left by an earlier run.
// A line "DROP" on stdout asks the proxy to cut the connection; the program
// then waits for the client to reconnect (which makes it send SetWatches or
// SetWatches2). "DONE" ends the script.

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

public class Capture {
    static final LinkedBlockingQueue<Watcher.Event.KeeperState> states = new LinkedBlockingQueue<>();

    static ZooKeeper connect(String hostPort) throws Exception {
        ZooKeeper zk = new ZooKeeper(hostPort, 4000, (WatchedEvent e) -> {
            if (e.getType() == Watcher.Event.EventType.None) {
                states.add(e.getState());
            }
        });
        await(Watcher.Event.KeeperState.SyncConnected);
        return zk;
    }

    static void await(Watcher.Event.KeeperState want) throws Exception {
        while (true) {
            Watcher.Event.KeeperState s = states.poll(20, TimeUnit.SECONDS);
            if (s == null) {
                throw new IllegalStateException("timed out waiting for " + want);
            }
            if (s == want) {
                return;
            }
        }
    }

    static void drop() throws Exception {
        System.out.println("DROP");
        System.out.flush();
        await(Watcher.Event.KeeperState.Disconnected);
        await(Watcher.Event.KeeperState.SyncConnected);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        ZooKeeper direct = connect(args[0]);
        if (direct.exists("/golden", false) != null) {
            ZKUtil.deleteRecursive(direct, "/golden");
        }
        direct.close();
        states.clear();

        ZooKeeper zk = connect(args[1]);
        List<org.apache.zookeeper.data.ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        Stat st = new Stat();

        zk.create("/golden", b("hello"), open, CreateMode.PERSISTENT);             // create
        zk.create("/golden/e", b("x"), open, CreateMode.EPHEMERAL, st);            // create2
        String seq = zk.create("/golden/s-", null, open, CreateMode.PERSISTENT_SEQUENTIAL); // null data
        zk.create("/golden/c", new byte[0], open, CreateMode.CONTAINER, st);       // createContainer
        zk.create("/golden/t", b("t"), open, CreateMode.PERSISTENT_WITH_TTL, st, 600000); // createTTL
        try {
            zk.create("/golden", b("again"), open, CreateMode.PERSISTENT);         // NodeExists
        } catch (KeeperException.NodeExistsException expected) {
        }

        zk.getData("/golden", true, st);          // getData with a data watch
        zk.exists("/golden/nope", true);          // exists on a missing node: NoNode, exist watch
        zk.getChildren("/golden", true);          // getChildren with a child watch
        zk.getChildren("/golden", false, st);     // getChildren2
        zk.exists("/golden", false);              // exists with a Stat
        try {
            zk.getData("/nope", false, null);     // NoNode
        } catch (KeeperException.NoNodeException expected) {
        }

        drop(); // reconnect: ConnectRequest with the session id, then SetWatches

        zk.setData("/golden/e", b("y"), -1);      // setData
        zk.setACL("/golden/t", open, 0);          // setACL
        zk.getACL("/golden", st);                 // getACL
        CountDownLatch synced = new CountDownLatch(1);
        zk.sync("/golden", (rc, path, ctx) -> synced.countDown(), null);
        synced.await(10, TimeUnit.SECONDS);       // sync
        zk.getAllChildrenNumber("/golden");       // getAllChildrenNumber
        zk.getEphemerals("/golden");              // getEphemerals
        zk.whoAmI();                              // whoAmI
        zk.addWatch("/golden/c", AddWatchMode.PERSISTENT_RECURSIVE); // addWatch
        zk.getData("/golden", true, st);          // data watch again (fired by the multi below)

        drop(); // reconnect: SetWatches2 (a persistent watch is registered)

        try {                                     // failing multi: error results
            zk.multi(Arrays.asList(
                Op.check("/golden", 0),
                Op.create("/golden/m0", new byte[0], open, CreateMode.PERSISTENT),
                Op.delete("/golden/missing", -1),
                Op.setData("/golden", b("never"), -1)));
        } catch (KeeperException expected) {
        }
        zk.multi(Arrays.asList(                   // successful multi, fires the data watch
            Op.create("/golden/m1", b("m"), open, CreateMode.PERSISTENT),
            Op.setData("/golden", b("v2"), -1),
            Op.check("/golden/e", 1),
            Op.delete(seq, -1)));
        zk.multi(Arrays.asList(                   // multiRead with an error result
            Op.getChildren("/golden"),
            Op.getData("/golden"),
            Op.getData("/golden/missing")));

        Thread.sleep(3000);                       // idle: the client pings

        zk.removeAllWatches("/golden/c", Watcher.WatcherType.Any, false); // removeWatches
        try {
            zk.removeAllWatches("/golden", Watcher.WatcherType.Data, false); // NoWatcher
        } catch (KeeperException.NoWatcherException expected) {
        }
        zk.addAuthInfo("digest", b("bob:secret"));  // auth
        zk.exists("/golden", false);                // makes sure the auth reply arrived
        zk.delete("/golden/m1", -1);                // delete
        zk.close();                                 // closeSession
        System.out.println("DONE");
        System.out.flush();
    }
}
