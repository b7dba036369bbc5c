// PNode runs Apache Curator's PersistentNode beside the Go persistent.Node
// for persistent's interop tests (curator_test.go). Output is
// tab-separated lines.
//
//	java PNode <connect> <path> <data>
//	    keeps a protected ephemeral-sequential PersistentNode at path with
//	    data, waits for its initial create and prints "created" and its
//	    actual path, then obeys commands: "path" prints "path" and the
//	    actual path; "check <name>" prints "check", whether name is
//	    protected (ProtectedUtils.isProtectedZNode), its protected id and
//	    its normalized name; "delete <path>" deletes that node and prints
//	    "deleted". On stop it closes the node and prints "closed".
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.ProtectedUtils;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;

public class PNode {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = Harness.client(args[0])) {
            PersistentNode n = new PersistentNode(client, CreateMode.EPHEMERAL_SEQUENTIAL, true, args[1],
                    args[2].getBytes(StandardCharsets.UTF_8));
            n.start();
            if (!n.waitForInitialCreate(30, TimeUnit.SECONDS)) {
                Harness.out("error", "no initial create");
                return;
            }
            Harness.out("created", n.getActualPath());
            for (String c; (c = Harness.command()) != null;) {
                if (c.equals("path")) {
                    Harness.out("path", n.getActualPath());
                } else if (c.startsWith("check ")) {
                    String name = c.substring("check ".length());
                    Harness.out("check", ProtectedUtils.isProtectedZNode(name),
                            ProtectedUtils.extractProtectedId(name).orElse(""), ProtectedUtils.normalize(name));
                } else if (c.startsWith("delete ")) {
                    client.delete().forPath(c.substring("delete ".length()));
                    Harness.out("deleted");
                }
            }
            n.close();
            Harness.out("closed");
        }
    }
}
