// Group runs Apache Curator's GroupMember beside the Go group.Member on the
// same path for group's interop tests (curator_test.go). Output is
// tab-separated lines.
//
//	java Group <connect> <path> <id> <payload>
//	    starts a GroupMember with id and payload, prints "started", then
//	    obeys commands: "members" prints "members" and the sorted
//	    id=payload pairs of getCurrentMembers joined by commas; "payload
//	    <data>" calls setThisData and prints "set". On stop it closes the
//	    member and prints "closed".
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.GroupMember;

public class Group {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = Harness.client(args[0])) {
            GroupMember m = new GroupMember(client, args[1], args[2], args[3].getBytes(StandardCharsets.UTF_8));
            m.start();
            Harness.out("started");
            for (String c; (c = Harness.command()) != null;) {
                if (c.equals("members")) {
                    StringBuilder b = new StringBuilder();
                    for (Map.Entry<String, byte[]> e : new TreeMap<>(m.getCurrentMembers()).entrySet()) {
                        if (b.length() > 0) {
                            b.append(',');
                        }
                        b.append(e.getKey()).append('=').append(new String(e.getValue(), StandardCharsets.UTF_8));
                    }
                    Harness.out("members", b);
                } else if (c.startsWith("payload ")) {
                    m.setThisData(c.substring("payload ".length()).getBytes(StandardCharsets.UTF_8));
                    Harness.out("set");
                }
            }
            m.close();
            Harness.out("closed");
        }
    }
}
