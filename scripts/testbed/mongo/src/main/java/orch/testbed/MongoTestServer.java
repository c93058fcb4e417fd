package orch.testbed;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * mongo-java-server on 127.0.0.1, announced as MongoDB 6.0. Usage: [--port N] [--h2 FILE] [--lose-conditions].
 * Without --h2 the data lives in memory (the test bed); with it, in an H2 MVStore file (the offline
 * development database; MVStore locks the file, so a second server on the same data fails to start).
 * Prints "MONGO_READY mongodb://127.0.0.1:PORT" once it accepts connections and exits when stdin
 * closes, so it never outlives the process that started it. --lose-conditions makes a deliberately
 * broken server for orch's start-up check test: findAndModify ignores every filter field but _id,
 * so concurrent conditional updates all win (as on FerretDB v1).
 */
public final class MongoTestServer {
  /** The stock ServerVersion.MONGO_5_0 reports wire version 8, which mongodb driver 6/7 refuses. */
  static final MongoVersion MONGO_6_0 = new MongoVersion() {
    @Override public List<Integer> getVersionArray() { return List.of(6, 0, 0); }
    @Override public String toVersionString() { return "6.0.0"; }
    @Override public int getWireVersion() { return 17; }
  };

  public static void main(String[] args) throws Exception {
    int port = 0;
    String h2File = null;
    boolean loseConditions = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--h2" -> h2File = args[++i];
        case "--lose-conditions" -> loseConditions = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    MongoBackend backend = loseConditions ? new LosingBackend() : h2File == null ? new IndexSafeMemoryBackend() : new H2Backend(h2File);
    backend.version(MONGO_6_0);
    MongoServer server = new MongoServer(backend);
    server.bind(new InetSocketAddress("127.0.0.1", port));
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    System.out.println("MONGO_READY mongodb://127.0.0.1:" + server.getLocalAddress().getPort());
    System.out.flush();
    while (System.in.read() != -1) {
      // ignore input; EOF means the parent is gone
    }
    System.exit(0);
  }

  /**
   * The memory backend with each collection's index builds and drops serialized with its writes.
   * Stock 1.47 synchronizes inserts, updates and deletes per collection but not createIndexes, so an
   * insert racing a new index's build failed with "Unknown error: null" (a client that inserts while
   * its driver still builds indexes, ~1 in 30 here). MongoDB builds an index alongside writes and
   * the index covers them all; serializing them gives the same outcome.
   */
  static class IndexSafeMemoryBackend extends MemoryBackend {
    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
      return new MemoryDatabase(databaseName, getCursorRegistry()) {
        @Override
        protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
          return new MemoryCollection(this, collectionName, options, cursorRegistry) {
            @Override
            public synchronized void addIndex(Index<Integer> index) {
              super.addIndex(index);
            }

            @Override
            public synchronized void dropIndex(String indexName) {
              super.dropIndex(indexName);
            }
          };
        }
      };
    }
  }

  /** The test double: conditional updates lose their condition. */
  static final class LosingBackend extends IndexSafeMemoryBackend {
    @Override
    public Document handleCommand(Channel channel, String database, String command, Document query) {
      if (command.equalsIgnoreCase("findAndModify") && query.get("query") instanceof Document filter) {
        filter.keySet().removeIf(k -> !k.equals("_id"));
      }
      return super.handleCommand(channel, database, command, query);
    }
  }
}
