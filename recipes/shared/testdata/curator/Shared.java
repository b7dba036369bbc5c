// Shared runs Apache Curator's SharedCount and DistributedAtomicLong beside
// the Go recipes on the same node for shared's interop tests
// (curator_test.go). Output is tab-separated lines.
//
//	java Shared count <connect> <path> <n>
//	    starts a SharedCount (seed 0), prints "ready", waits for the
//	    command "go", then increments it n times, each by trySetCount on
//	    the version read, retried until it succeeds; prints "done".
//	java Shared atomic <connect> <path> <lockpath> <n>
//	    a DistributedAtomicLong (one optimistic try, then PromotedToLock at
//	    <lockpath>); prints "ready", waits for "go", then n increments,
//	    printing "failed <pre> <post>" for one that did not succeed;
//	    prints "done <n promoted>".
//	java Shared watch <connect> <countpath> <longpath>
//	    starts a SharedCount with a listener printing "changed <value>",
//	    prints "ready", then obeys "set <n>" (setCount, prints "set <n>")
//	    and "get" (prints "get <SharedCount value> <DistributedAtomicLong
//	    value>").
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.atomic.PromotedToLock;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.SharedCountListener;
import org.apache.curator.framework.recipes.shared.SharedCountReader;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;

public class Shared {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = Harness.client(args[1])) {
            switch (args[0]) {
            case "count":
                count(client, args[2], Integer.parseInt(args[3]));
                break;
            case "atomic":
                atomic(client, args[2], args[3], Integer.parseInt(args[4]));
                break;
            case "watch":
                watch(client, args[2], args[3]);
                break;
            default:
                throw new IllegalArgumentException(args[0]);
            }
        }
    }

    static void count(CuratorFramework client, String path, int n) throws Exception {
        try (SharedCount count = new SharedCount(client, path, 0)) {
            count.start();
            Harness.out("ready");
            Harness.command();
            for (int i = 0; i < n; i++) {
                for (;;) {
                    VersionedValue<Integer> v = count.getVersionedValue();
                    if (count.trySetCount(v, v.getValue() + 1)) {
                        break;
                    }
                }
            }
            Harness.out("done");
        }
    }

    static void atomic(CuratorFramework client, String path, String lockPath, int n) throws Exception {
        DistributedAtomicLong a = new DistributedAtomicLong(client, path, new RetryNTimes(0, 0),
            PromotedToLock.builder().lockPath(lockPath).retryPolicy(new RetryNTimes(1000, 1)).build());
        Harness.out("ready");
        Harness.command();
        int promoted = 0;
        for (int i = 0; i < n; i++) {
            AtomicValue<Long> r = a.increment();
            if (!r.succeeded()) {
                Harness.out("failed", r.preValue(), r.postValue());
            }
            if (r.getStats().getPromotedLockTries() > 0) {
                promoted++;
            }
        }
        Harness.out("done", promoted);
    }

    static void watch(CuratorFramework client, String countPath, String longPath) throws Exception {
        try (SharedCount count = new SharedCount(client, countPath, 0)) {
            count.addListener(new SharedCountListener() {
                @Override
                public void countHasChanged(SharedCountReader r, int value) {
                    Harness.out("changed", value);
                }

                @Override
                public void stateChanged(CuratorFramework c, ConnectionState s) {
                }
            });
            count.start();
            DistributedAtomicLong a = new DistributedAtomicLong(client, longPath, new RetryNTimes(0, 0));
            Harness.out("ready");
            for (String c; (c = Harness.command()) != null;) {
                String[] f = c.split(" ");
                switch (f[0]) {
                case "set":
                    count.setCount(Integer.parseInt(f[1]));
                    Harness.out("set", f[1]);
                    break;
                case "get":
                    Harness.out("get", count.getCount(), a.get().postValue());
                    break;
                default:
                    throw new IllegalArgumentException(c);
                }
            }
        }
    }
}
