package dev.rotakey.service;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.core.ApiKeyFormat;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Measures, on the real edges (SoftHSM2 token, local-files, H2 or PostgreSQL), how many complete
 * rotations (create, deliver, verify, promote) and how many API-key verifications one node does per
 * second, with N credentials already in the database. Not a unit test: run its main by hand.
 * Arguments: engine (H2|POSTGRESQL), credentials, threads.
 */
public final class RotationThroughputBenchmark {
    private RotationThroughputBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        TestDatabases.Engine engine = TestDatabases.Engine.valueOf(args.length > 0 ? args[0] : "H2");
        int credentials = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path dir = Files.createTempDirectory("rotakey-bench");
        KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        backend.start();
        try (TestDatabase db = TestDatabases.open(engine, dir.resolve("db"))) {
            BenchmarkNode node = new BenchmarkNode(backend, db.store(), dir.resolve("delivered"), Map.of());
            node.agents.create(new NewAgent("bench", "bench@example.com", null, null, null, null), "bench");

            long t0 = System.nanoTime();
            BenchmarkNode.runAll(threads, credentials, i -> node.credentials.create(new NewCredential("c" + i,
                    "bench", "api-key", "hsm", new NewCredential.RotationSpec("P7D", null), "PT1H",
                    List.of(Map.of("target", "local-files", "path", "bench/c" + i))), "bench"));
            report("create (issue v1)", credentials, t0);

            t0 = System.nanoTime();
            BenchmarkNode.runAll(threads, credentials,
                    i -> node.rotations.startAndRun("c" + i, RotationTrigger.OPERATOR, "bench"));
            report("rotate (v1 -> v2)", credentials, t0);

            ApiKeyVerifier verifier = new ApiKeyVerifier(db.store(), node.backends, node.audit);
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < Math.min(credentials, 1000); i++) {
                keys.add(Files.readString(dir.resolve("delivered/bench/c" + i), StandardCharsets.UTF_8));
            }
            int verifications = 20_000;
            t0 = System.nanoTime();
            BenchmarkNode.runAll(threads, verifications, i -> {
                if (!verifier.verify(keys.get(i % keys.size()), "bench").valid()) {
                    throw new IllegalStateException("a current key did not verify");
                }
                return null;
            });
            report("verify", verifications, t0);
            t0 = System.nanoTime();
            for (int i = 0; i < verifications; i++) {
                ApiKeyFormat.parse("rk_" + "0".repeat(49));
            }
            report("reject mistyped key (no database)", verifications, t0);
        } finally {
            backend.close();
        }
    }

    private static void report(String what, int n, long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-36s %7d in %6.2f s = %9.1f /s%n", what, n, s, n / s);
    }
}
