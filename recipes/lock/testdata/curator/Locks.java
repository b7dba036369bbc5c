// Locks runs Apache Curator's locks beside the Go locks on the same path
// for lock's interop tests (curator_test.go). Output is tab-separated lines.
//
//	java Locks mutex <connect> <lockdir> <counter> <marker> <n>
//	    prints "ready", waits for the command "go", then n times: InterProcessMutex.acquire; create
//	    <marker> (ephemeral; "overlap" if it exists: another holder is
//	    inside); read <counter> (a decimal) and write it back plus one
//	    without a version; delete <marker>; release. Prints "done".
//	java Locks hold <connect> <lockdir> <marker>
//	    prints "ready", then obeys commands, where <kind> is mutex (an
//	    InterProcessMutex), read or write (an InterProcessReadWriteLock):
//	    "lock <kind>" acquires (blocking), creates <marker> (ephemeral)
//	    unless kind is read, printing "overlap" if it exists, and prints
//	    "held"; "try <kind>" acquires without waiting and prints "held" or
//	    "busy"; "unlock" deletes <marker> if it created it, releases and
//	    prints "released".
//	java Locks rw <connect> <lockdir> <state> <n> <seed>
//	    prints "ready", waits for the command "go", then n holdings of InterProcessReadWriteLock, a
//	    write lock every third time on average, each entering and leaving
//	    <state> ("W" while a writer is inside, else the number of readers)
//	    by compare-and-set; prints "overlap <what>" when a writer finds
//	    anyone inside or a reader finds a writer. Prints "done <reads>
//	    <writes>".
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

public class Locks {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = Harness.client(args[1])) {
            switch (args[0]) {
            case "mutex":
                mutex(client, args[2], args[3], args[4], Integer.parseInt(args[5]));
                break;
            case "hold":
                hold(client, args[2], args[3]);
                break;
            case "rw":
                rw(client, args[2], args[3], Integer.parseInt(args[4]), Long.parseUnsignedLong(args[5]));
                break;
            default:
                throw new IllegalArgumentException(args[0]);
            }
        }
    }

    static void mutex(CuratorFramework client, String dir, String counter, String marker, int n) throws Exception {
        InterProcessMutex m = new InterProcessMutex(client, dir);
        Harness.out("ready");
        Harness.command();
        for (int i = 0; i < n && !Harness.stopping(); i++) {
            m.acquire();
            try {
                try {
                    client.create().withMode(CreateMode.EPHEMERAL).forPath(marker);
                } catch (KeeperException.NodeExistsException e) {
                    Harness.out("overlap", "marker exists");
                }
                long v = Long.parseLong(new String(client.getData().forPath(counter), StandardCharsets.UTF_8));
                client.setData().forPath(counter, Long.toString(v + 1).getBytes(StandardCharsets.UTF_8));
                client.delete().forPath(marker);
            } finally {
                m.release();
            }
        }
        Harness.out("done");
    }

    static void hold(CuratorFramework client, String dir, String marker) throws Exception {
        InterProcessMutex mutex = new InterProcessMutex(client, dir);
        InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, dir);
        InterProcessMutex held = null;
        boolean marked = false;
        Harness.out("ready");
        for (String c; (c = Harness.command()) != null;) {
            String[] f = c.split(" ");
            InterProcessMutex l = null;
            if (f.length > 1) {
                l = f[1].equals("mutex") ? mutex : f[1].equals("read") ? rw.readLock() : rw.writeLock();
            }
            switch (f[0]) {
            case "lock":
                l.acquire();
                held = l;
                if (!f[1].equals("read")) {
                    try {
                        client.create().withMode(CreateMode.EPHEMERAL).forPath(marker);
                        marked = true;
                    } catch (KeeperException.NodeExistsException e) {
                        Harness.out("overlap", "marker exists");
                    }
                }
                Harness.out("held");
                break;
            case "try":
                if (l.acquire(0, TimeUnit.MILLISECONDS)) {
                    held = l;
                    Harness.out("held");
                } else {
                    Harness.out("busy");
                }
                break;
            case "unlock":
                if (marked) {
                    client.delete().forPath(marker);
                    marked = false;
                }
                held.release();
                held = null;
                Harness.out("released");
                break;
            default:
                throw new IllegalArgumentException(c);
            }
        }
    }

    static void rw(CuratorFramework client, String dir, String state, int n, long seed) throws Exception {
        InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, dir);
        Random rnd = new Random(seed);
        int reads = 0, writes = 0;
        Harness.out("ready");
        Harness.command();
        for (int i = 0; i < n && !Harness.stopping(); i++) {
            boolean write = rnd.nextInt(3) == 0;
            InterProcessMutex l = write ? rw.writeLock() : rw.readLock();
            l.acquire();
            try {
                change(client, state, write, true);
                change(client, state, write, false);
            } finally {
                l.release();
            }
            if (write) {
                writes++;
            } else {
                reads++;
            }
        }
        Harness.out("done", reads, writes);
    }

    // change enters (or leaves) state as a writer or a reader by
    // compare-and-set on its version, retried on a concurrent change. A
    // violation is reported only once the compare-and-set succeeded, which
    // proves that the state read was the current one, not a stale read.
    static void change(CuratorFramework client, String state, boolean write, boolean enter) throws Exception {
        for (;;) {
            Stat st = new Stat();
            String s = new String(client.getData().storingStatIn(st).forPath(state), StandardCharsets.UTF_8);
            String next, overlap = null;
            if (write) {
                if (enter && !s.equals("0")) {
                    overlap = "writer entered state " + s;
                }
                next = enter ? "W" : "0";
            } else if (s.equals("W")) {
                overlap = "reader " + (enter ? "entered" : "left") + " state W";
                next = s;
            } else {
                next = Long.toString(Long.parseLong(s) + (enter ? 1 : -1));
            }
            try {
                client.setData().withVersion(st.getVersion()).forPath(state, next.getBytes(StandardCharsets.UTF_8));
            } catch (KeeperException.BadVersionException e) {
                continue; // changed meanwhile, or our read was stale
            }
            if (overlap != null) {
                Harness.out("overlap", overlap);
            }
            return;
        }
    }
}
