package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.testing.SoftHsmTokens;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Measures {@code hmac} and {@code randomBytes(32)} of the PKCS#11 backend against the SoftHSM test
 * token, on one and two threads (median of three timed rounds after a warm-up). Not a unit test:
 * run {@code main} with the test class path, {@value Pkcs11Module#ADD_EXPORTS},
 * {@code -Drotakey.test.softhsm.dir=target/softhsm} and {@code SOFTHSM2_CONF=target/softhsm/softhsm2.conf}.
 * An optional argument sets the round length in milliseconds (default 2000).
 */
public final class Pkcs11KeyBackendBenchmark {
    private Pkcs11KeyBackendBenchmark() {
    }

    public static void main(String[] args) throws InterruptedException {
        long roundMillis = args.length > 0 ? Long.parseLong(args[0]) : 2000;
        try (KeyBackend backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("bench")) {
            backend.start();
            if (!backend.status().healthy()) {
                throw new IllegalStateException("backend offline: " + backend.status().message());
            }
            byte[] input = new byte[32];
            Arrays.fill(input, (byte) 7);
            System.out.printf("Java %s, round %d ms%n", Runtime.version(), roundMillis);
            System.out.printf("%-18s %12s %12s%n", "operation", "1 thread", "2 threads");
            report("hmac (32 bytes)", b -> b.hmac(input), backend, roundMillis);
            report("randomBytes(32)", b -> b.randomBytes(32), backend, roundMillis);
        }
    }

    private static void report(String name, Consumer<KeyBackend> operation, KeyBackend backend, long roundMillis)
            throws InterruptedException {
        run(operation, backend, 2, roundMillis);
        long[] rates = new long[2];
        for (int threads = 1; threads <= 2; threads++) {
            long[] rounds = new long[3];
            for (int r = 0; r < rounds.length; r++) {
                rounds[r] = run(operation, backend, threads, roundMillis);
            }
            Arrays.sort(rounds);
            rates[threads - 1] = rounds[1];
        }
        System.out.printf("%-18s %,12d %,12d%n", name, rates[0], rates[1]);
    }

    /** Operations per second of {@code threads} threads calling {@code operation} for {@code millis}. */
    private static long run(Consumer<KeyBackend> operation, KeyBackend backend, int threads, long millis)
            throws InterruptedException {
        LongAdder done = new LongAdder();
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[1];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                long end = window[0];
                while (System.nanoTime() < end) {
                    operation.accept(backend);
                    done.increment();
                }
            });
            worker.start();
            workers.add(worker);
        }
        long start = System.nanoTime();
        window[0] = start + millis * 1_000_000L;
        go.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        return Math.round(done.sum() / ((System.nanoTime() - start) / 1e9));
    }
}
