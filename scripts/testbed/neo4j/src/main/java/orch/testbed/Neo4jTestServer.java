package orch.testbed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Starts an embedded Neo4j with Bolt on 127.0.0.1 and a free port (or args[0]), prints
 * "BOLT_READY bolt://127.0.0.1:PORT" on stdout once it accepts work, and shuts down on
 * SIGTERM or when stdin closes (so a crashed test runner never leaves it behind).
 */
public final class Neo4jTestServer {
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : freePort();
    Path dir = Files.createTempDirectory("orch-neo4j-");
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(dir)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
        .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
        .setConfig(GraphDatabaseSettings.auth_enabled, false)
        .setConfig(GraphDatabaseSettings.pagecache_memory, 32L * 1024 * 1024)
        .build();
    dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
    Runnable stop = () -> {
      dbms.shutdown();
      deleteQuietly(dir);
    };
    Runtime.getRuntime().addShutdownHook(new Thread(stop));
    System.out.println("BOLT_READY bolt://127.0.0.1:" + port);
    System.out.flush();
    // Exit when the parent goes away: stdin reaches EOF.
    while (System.in.read() != -1) {
      // ignore input
    }
    System.exit(0);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: it is a temp dir
    }
  }
}
