// Echo is the harness's own test program: it prints "ready", then echoes
// each command line as "echo <line>" until told to stop, then prints
// "bye". With the argument "fail" it exits with status 3 at once.
public class Echo {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("fail")) {
            System.exit(3);
        }
        Harness.out("ready", String.join(",", args));
        for (String c; (c = Harness.command()) != null;) {
            Harness.out("echo", c);
        }
        Harness.out("bye");
    }
}
