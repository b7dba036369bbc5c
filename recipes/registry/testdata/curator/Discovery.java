// Discovery drives Apache Curator's service discovery (curator-x-discovery)
// for registry's interoperability test (curator_test.go), so that the JSON
// and node modes the Go tests expect come from real Curator. Output is one
// tab-separated record per line.
//
//	java Discovery register <connect> <base>
//	    registers instances of service "svc" as a Curator user would, then
//	    prints "node <name> <ephemeral> <data>" for every node below
//	    <base>/svc, and closes.
//	java Discovery query <connect> <base> <name>
//	    prints "names <n1,n2,...>" (queryForNames), then "instance <json>"
//	    for each of queryForInstances(name) sorted by id, or
//	    "error <exception class>" if that query throws.
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.UriSpec;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;
import org.apache.zookeeper.data.Stat;

public class Discovery {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 10000, new RetryOneTime(100))) {
            client.start();
            client.blockUntilConnected();
            switch (args[0]) {
            case "register":
                register(client, args[2]);
                break;
            case "query":
                query(client, args[2], args[3]);
                break;
            default:
                throw new IllegalArgumentException(args[0]);
            }
        }
    }

    static ServiceDiscovery<Object> discovery(CuratorFramework client, String base, boolean compatible) throws Exception {
        ServiceDiscovery<Object> d = ServiceDiscoveryBuilder.builder(Object.class).client(client).basePath(base)
            .serializer(new JsonInstanceSerializer<Object>(Object.class, compatible)).build();
        d.start();
        return d;
    }

    static void register(CuratorFramework client, String base) throws Exception {
        // The serializer that writes "enabled" (compatibleSerializationMode
        // false), and Curator's default one, which leaves it out.
        ServiceDiscovery<Object> full = discovery(client, base, false);
        ServiceDiscovery<Object> compat = discovery(client, base, true);
        Map<String, String> payload = new LinkedHashMap<>();
        payload.put("description", "primary");
        full.registerService(ServiceInstance.builder().name("svc").id("plain").address("10.0.0.1").port(8080)
            .payload(payload).registrationTimeUTC(1700000000000L).uriSpec(new UriSpec("{scheme}://{address}:{port}")).build());
        full.registerService(ServiceInstance.builder().name("svc").id("off").address("10.0.0.2").port(8080)
            .registrationTimeUTC(1700000000000L).enabled(false).build());
        full.registerService(ServiceInstance.builder().name("svc").id("seq").address("10.0.0.3").sslPort(8443)
            .registrationTimeUTC(1700000000000L).serviceType(ServiceType.DYNAMIC_SEQUENTIAL).build());
        compat.registerService(ServiceInstance.builder().name("svc").id("compat").address("10.0.0.4").port(8080)
            .registrationTimeUTC(1700000000000L).build());
        String dir = base + "/svc";
        List<String> kids = new ArrayList<>(client.getChildren().forPath(dir));
        Collections.sort(kids);
        for (String k : kids) {
            Stat st = new Stat();
            byte[] data = client.getData().storingStatIn(st).forPath(dir + "/" + k);
            System.out.println("node\t" + k + "\t" + (st.getEphemeralOwner() != 0) + "\t" + new String(data, StandardCharsets.UTF_8));
        }
        full.close();
        compat.close();
    }

    static void query(CuratorFramework client, String base, String name) throws Exception {
        ServiceDiscovery<Object> d = discovery(client, base, false);
        List<String> names = new ArrayList<>(d.queryForNames());
        Collections.sort(names);
        System.out.println("names\t" + String.join(",", names));
        JsonInstanceSerializer<Object> ser = new JsonInstanceSerializer<Object>(Object.class, false);
        try {
            List<ServiceInstance<Object>> l = new ArrayList<>(d.queryForInstances(name));
            l.sort(Comparator.comparing(ServiceInstance::getId));
            for (ServiceInstance<Object> i : l) {
                System.out.println("instance\t" + new String(ser.serialize(i), StandardCharsets.UTF_8));
            }
        } catch (Exception e) {
            System.out.println("error\t" + e.getClass().getName());
        }
        d.close();
    }
}
