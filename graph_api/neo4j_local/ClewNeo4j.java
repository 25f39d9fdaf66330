// Runs an embedded Neo4j Community DBMS that only speaks Bolt on the loopback
// interface, for local development and tests without Docker or a Neo4j install.
//
// Started and stopped by graph_api/neo4j_local/__init__.py; usage:
//   java ClewNeo4j --home DIR --port N --pagecache SIZE --tx-memory SIZE --password-file FILE
//                  [--tls-dir DIR]
// SIZE uses Neo4j's byte notation (e.g. 256m, 1g). With --tls-dir, Bolt requires TLS
// with the PEM files DIR/private.key and DIR/public.crt; without it, Bolt is plain.
// Authentication is on: the user neo4j has the password in FILE. Before Bolt listens the
// first time with a new password, the DBMS starts once without Bolt to set it, so no client
// ever meets the default password.

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnector.EncryptionLevel;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.configuration.ssl.ClientAuth;
import org.neo4j.configuration.ssl.SslPolicyConfig;
import org.neo4j.configuration.ssl.SslPolicyScope;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

public final class ClewNeo4j {
    private ClewNeo4j() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> opts = parseArgs(args);
        Path home = Path.of(require(opts, "home")).toAbsolutePath();
        int port = Integer.parseInt(require(opts, "port"));
        long pagecache = ByteUnit.parse(require(opts, "pagecache"));
        long txMemory = ByteUnit.parse(require(opts, "tx-memory"));
        String tlsOption = opts.get("tls-dir");
        Path tlsDir = tlsOption == null ? null : Path.of(tlsOption).toAbsolutePath();
        Path passwordFile = Path.of(require(opts, "password-file")).toAbsolutePath();

        // The user log (start-up problems, "Started." etc.) goes to stdout, which the
        // Python launcher redirects into its log file; the detailed debug.log stays
        // under <home>/logs.
        Log4jLogProvider userLog = new Log4jLogProvider(System.out, Level.INFO);

        DatabaseManagementService dbms;
        try {
            applyPassword(home, pagecache, txMemory, passwordFile, userLog);
            dbms = build(home, port, pagecache, txMemory, tlsDir, userLog, true).build();
        } catch (RuntimeException | IOException e) {
            // A half-started DBMS can leave non-daemon threads behind; exit explicitly so
            // the launcher sees the process die instead of waiting for its timeout.
            System.out.println("ClewNeo4j: failed to start: " + e);
            e.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
            return;
        }

        // SIGTERM/SIGINT run shutdown hooks; a clean shutdown checkpoints the store so
        // the next start needs no recovery.
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("ClewNeo4j: shutting down");
            try {
                dbms.shutdown();
            } finally {
                userLog.close();
                stopped.countDown();
                System.out.println("ClewNeo4j: stopped");
                System.out.flush();
            }
        }, "clew-neo4j-shutdown"));

        String scheme = tlsDir == null ? "bolt" : "bolt+s";
        System.out.println("ClewNeo4j ready: " + scheme + "://127.0.0.1:" + port + " home=" + home);
        System.out.flush();
        // The DBMS threads alone would keep the JVM alive too; waiting here makes the
        // lifetime explicit: the process lives until a signal has shut the DBMS down.
        stopped.await();
    }

    /** Sets the neo4j user's password from the file, with Bolt off, unless already done. */
    private static void applyPassword(
            Path home, long pagecache, long txMemory, Path passwordFile, Log4jLogProvider userLog)
            throws IOException {
        String password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
        if (password.length() < 8) {
            throw new IllegalStateException(passwordFile + " holds no usable password");
        }
        Path marker = home.resolve("clew-password.sha256");
        String digest = sha256(password);
        if (Files.isRegularFile(marker)
                && Files.readString(marker, StandardCharsets.UTF_8).strip().equals(digest)) {
            return;
        }
        DatabaseManagementService dbms =
                build(home, 0, pagecache, txMemory, null, userLog, false).build();
        try {
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            try {
                system.executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
            } catch (RuntimeException e) {
                // Neo4j refuses to "change" a password to the one it already has.
                if (!String.valueOf(e.getMessage()).contains("same")) {
                    throw e;
                }
            }
        } finally {
            dbms.shutdown();
        }
        Files.writeString(marker, digest + "\n", StandardCharsets.UTF_8);
    }

    private static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DatabaseManagementServiceBuilder build(
            Path home,
            int port,
            long pagecache,
            long txMemory,
            Path tlsDir,
            Log4jLogProvider userLog,
            boolean boltEnabled) {
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setUserLogProvider(userLog)
                // Loopback only, and every client must sign in.
                .setConfig(BoltConnector.enabled, boltEnabled)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // Unset, the page cache grows to about half the machine's RAM.
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txMemory)
                // A development database needs neither 2 days of transaction logs nor
                // 256 MiB of preallocated log file per database (costly in test tmp dirs).
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Netty waits this many quiet seconds per event-loop group (two of them)
                // before Bolt is down; by then the databases are already stopped, so the
                // default of 5 only makes every shutdown 10 s slower.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 1);
        if (tlsDir == null) {
            builder.setConfig(BoltConnector.encryption_level, EncryptionLevel.DISABLED);
        } else {
            // REQUIRED, not OPTIONAL: a client that forgets encryption must fail to connect
            // rather than silently talk in plain text. Clients are not asked for certificates.
            SslPolicyConfig bolt = SslPolicyConfig.forScope(SslPolicyScope.BOLT);
            builder.setConfig(bolt.enabled, true)
                    .setConfig(bolt.base_directory, tlsDir)
                    .setConfig(bolt.private_key, tlsDir.resolve("private.key"))
                    .setConfig(bolt.public_certificate, tlsDir.resolve("public.crt"))
                    .setConfig(bolt.client_auth, ClientAuth.NONE)
                    .setConfig(BoltConnector.encryption_level, EncryptionLevel.REQUIRED);
        }
        return builder;
    }

    private static Map<String, String> parseArgs(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                usage("unexpected argument: " + arg);
            }
            opts.put(arg.substring(2), args[++i]);
        }
        return opts;
    }

    private static String require(Map<String, String> opts, String name) {
        String value = opts.get(name);
        if (value == null) {
            usage("missing --" + name);
        }
        return value;
    }

    private static void usage(String problem) {
        System.err.println("ClewNeo4j: " + problem);
        System.err.println(
                "usage: java ClewNeo4j --home DIR --port N --pagecache SIZE --tx-memory SIZE"
                        + " --password-file FILE [--tls-dir DIR]");
        System.exit(2);
    }
}
