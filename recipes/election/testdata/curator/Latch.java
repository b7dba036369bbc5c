// Latch runs Apache Curator's LeaderLatch beside the Go election on the same
// path for election's interop tests (curator_test.go). Output is
// tab-separated lines.
//
//	java Latch <connect> <dir> <marker>
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
import java.util.ArrayList;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

public class Latch {
    static volatile boolean marked;

    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = Harness.client(args[0])) {
            String dir = args[1], marker = args[2];
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
}
