// Latch runs Apache Curator's LeaderLatch beside the Go election on the same
// path for election's interop tests (curator_test.go). Output is
// tab-separated lines.
//
//	java Latch <connect> <dir> <marker> <n>
//	    with n > 0: prints "ready", then n terms, each a new LeaderLatch (participant id
//	    "java") that waits for leadership, creates <marker> with data
//	    "java" ("overlap" if another's exists), appends a line "java-<i>"
//	    to the data of <dir>-terms (compare-and-set), deletes <marker> and
//	    closes; prints "term <i>" after each, "suspended <state>" when the
//	    connection is suspended or lost (Curator's LeaderLatch then gives
//	    up leadership, so an overlap may follow), and "done" at the end.
//	java Latch <connect> <dir> <marker> 0
//	    prints "ready", then obeys commands:
//	    "start <id>" starts a LeaderLatch with participant id <id> and
//	    prints "started"; when it becomes leader it creates <marker>
//	    (ephemeral; "overlap" if it exists: another leader is still
//	    acting) and prints "leader"; when it stops leading it prints
//	    "notleader".
//	    "close" deletes <marker> if this latch created it (the leader stops
//	    acting first), closes the latch and prints "closed".
//	    "query" prints "query <hasLeadership> <getLeader().getId()>
//	    <participant ids in order, comma-separated>".
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

public class Latch {
    static volatile boolean marked;

    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = Harness.client(args[0])) {
            String dir = args[1], marker = args[2];
            int n = Integer.parseInt(args[3]);
            if (n > 0) {
                terms(client, dir, marker, n);
                return;
            }
            LeaderLatch latch = null;
            Harness.out("ready");
            for (String c; (c = Harness.command()) != null;) {
                String[] f = c.split(" ");
                switch (f[0]) {
                case "start":
                    latch = new LeaderLatch(client, dir, f[1]);
                    latch.addListener(new LeaderLatchListener() {
                        @Override
                        public void isLeader() {
                            try {
                                client.create().withMode(CreateMode.EPHEMERAL).forPath(marker);
                                marked = true;
                            } catch (KeeperException.NodeExistsException e) {
                                Harness.out("overlap", "marker exists");
                            } catch (Exception e) {
                                Harness.out("error", e);
                            }
                            Harness.out("leader");
                        }

                        @Override
                        public void notLeader() {
                            Harness.out("notleader");
                        }
                    });
                    latch.start();
                    Harness.out("started");
                    break;
                case "close":
                    if (marked) {
                        client.delete().forPath(marker);
                        marked = false;
                    }
                    latch.close();
                    Harness.out("closed");
                    break;
                case "query":
                    List<String> ids = new ArrayList<>();
                    for (Participant p : latch.getParticipants()) {
                        ids.add(p.getId());
                    }
                    Harness.out("query", latch.hasLeadership(), latch.getLeader().getId(), String.join(",", ids));
                    break;
                default:
                    throw new IllegalArgumentException(c);
                }
            }
        }
    }

    static void terms(CuratorFramework client, String dir, String marker, int n) throws Exception {
        String log = dir + "-terms";
        client.getConnectionStateListenable().addListener((c, state) -> {
            if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
                Harness.out("suspended", state);
            }
        });
        Harness.out("ready");
        for (int i = 1; i <= n; i++) {
            try (LeaderLatch latch = new LeaderLatch(client, dir, "java")) {
                latch.start();
                latch.await();
                try {
                    client.create().withMode(CreateMode.EPHEMERAL).forPath(marker, "java".getBytes(StandardCharsets.UTF_8));
                } catch (KeeperException.NodeExistsException e) {
                    String owner = new String(client.getData().forPath(marker), StandardCharsets.UTF_8);
                    if (!owner.equals("java")) { // else: our own create, retried by Curator
                        Harness.out("overlap", "marker of " + owner);
                        continue;
                    }
                }
                String entry = "java-" + i + "\n";
                for (;;) {
                    Stat st = new Stat();
                    String old = new String(client.getData().storingStatIn(st).forPath(log), StandardCharsets.UTF_8);
                    if (old.contains(entry)) {
                        break; // our own write, retried by Curator
                    }
                    try {
                        client.setData().withVersion(st.getVersion()).forPath(log, (old + entry).getBytes(StandardCharsets.UTF_8));
                        break;
                    } catch (KeeperException.BadVersionException e) {
                        // changed meanwhile, or a stale read: again
                    }
                }
                client.delete().guaranteed().forPath(marker);
            }
            Harness.out("term", i);
        }
        Harness.out("done");
    }
}
