package dev.rotakey.targets.mariadb;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.VersionReferences;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * How the {@code mariadb-user} target fails against the machine's real MariaDB, and what its admin user needs: a
 * server that is down or silent gives retryable failures, a refused admin or a missing privilege does not, and an
 * admin with only the privileges docs/targets.md lists does everything.
 */
class MariaDbUserTargetFailuresIT {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    private final MariaDbProbe maria = new MariaDbProbe();
    private final Target target = MariaDbProbe.factory().build("maria-main");
    private final List<Target> others = new ArrayList<>();
    private final List<Secret> secrets = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        target.close();
        others.forEach(Target::close);
        maria.close();
        secrets.forEach(Secret::destroy);
    }

    private Secret password() {
        char[] p = new char[32];
        for (int i = 0; i < p.length; i++) {
            p[i] = ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length()));
        }
        Secret s = Secret.wrap(p);
        secrets.add(s);
        return s;
    }

    private static TargetBinding binding(Map<String, String> params) {
        return new TargetBinding("maria-main", params);
    }

    private static Delivery delivery(TargetBinding binding, int version, Secret material) {
        return new Delivery("agent-1", "cred-1", "password", version, binding, material);
    }

    /** A delivery as the workflow makes it: with the CURRENT version's recorded references and the version's own. */
    private static Delivery delivery(TargetBinding binding, int version, Secret material, List<String> own,
                                     VersionReferences current) {
        return delivery(binding, version, material).withRecords(own, current, List.of());
    }

    private Revocation revocation(Target t, TargetBinding binding, int version, Secret material) {
        String reference = t.materialReference(delivery(binding, version, material));
        return new Revocation("agent-1", "cred-1", "password", version, binding, content -> false, List.of(reference));
    }

    /** A target that connects as another admin user. */
    private Target admin(String name, String user, String password) {
        Target t = new MariaDbUserTarget(name, MariaDbProbe.URL, user, password.toCharArray(), 1000, 5000);
        others.add(t);
        return t;
    }

    @Test
    void aServerThatIsDownGivesRetryableFailures() throws Exception {
        Target down = MariaDbProbe.factory("jdbc:mariadb://127.0.0.1:" + MariaDbProbe.closedPort() + "/test").build("maria-down");
        others.add(down);
        TargetBinding b = binding(Map.of("user", maria.newUser(), "strategy", "alternating"));
        Secret v1 = password();
        for (Runnable op : List.<Runnable>of(() -> down.deliver(delivery(b, 1, v1)), () -> down.verify(delivery(b, 1, v1)),
                () -> down.revoke(revocation(down, b, 1, v1)), () -> down.discard(revocation(down, b, 1, v1)))) {
            TargetException e = catchThrowableOfType(TargetException.class, op::run);
            assertThat(e).isNotNull();
            assertThat(e.retryable()).isTrue();
            assertThat(e.getMessage()).contains("maria-down").doesNotContain(v1.reveal());
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOutRetryably() throws Exception {
        // Accepts connections and says nothing: a hung server, or a stalled network path.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Target hung = MariaDbProbe.factory("jdbc:mariadb://127.0.0.1:" + silent.getLocalPort() + "/test").build("maria-hung");
            others.add(hung);
            TargetBinding b = binding(Map.of("user", maria.newUser()));
            Secret v1 = password();
            long start = System.nanoTime();
            TargetException e = catchThrowableOfType(TargetException.class, () -> hung.deliver(delivery(b, 1, v1)));
            assertThat(e).isNotNull();
            assertThat(e.retryable()).isTrue();
            assertThat(e.getMessage()).contains("maria-hung").doesNotContain(v1.reveal());
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void aWrongAdminPasswordAndMissingPrivilegesAreNotRetried() {
        // An admin without CREATE USER: a fresh login user of the test's own.
        String weak = maria.newUser();
        Secret weakPassword = password();
        TargetBinding weakBinding = binding(Map.of("user", weak));
        target.deliver(delivery(weakBinding, 1, weakPassword));
        Target limited = admin("maria-limited", weak, weakPassword.reveal());
        TargetBinding b = binding(Map.of("user", maria.newUser()));
        Secret v1 = password();
        TargetException e = catchThrowableOfType(TargetException.class, () -> limited.deliver(delivery(b, 1, v1)));
        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("maria-limited").contains("privilege").doesNotContain(v1.reveal())
                .doesNotContain(NativePassword.of(v1.utf8()));

        Target wrong = admin("maria-wrong", weak, "not-the-password");
        e = catchThrowableOfType(TargetException.class, () -> wrong.deliver(delivery(b, 1, v1)));
        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("maria-wrong").contains("refused");
    }

    @Test
    void theDocumentedLeastPrivilegeAdminDoesEverything() {
        // docs/targets.md: CREATE USER, and SELECT on mysql.global_priv; no UPDATE on the mysql database.
        String adminUser = maria.newUser("rk_admin_");
        MariaDbProbe.execute("CREATE USER " + AccountCatalog.account(adminUser, "%") + " IDENTIFIED BY 'admin-pw-1'",
                "GRANT CREATE USER ON *.* TO " + AccountCatalog.account(adminUser, "%"),
                "GRANT SELECT ON mysql.global_priv TO " + AccountCatalog.account(adminUser, "%"));
        Target least = admin("maria-least", adminUser, "admin-pw-1");
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user, "strategy", "alternating"));
        Secret v1 = password();
        Secret v2 = password();
        Delivery d1 = delivery(b, 1, v1);
        least.deliver(d1);
        least.verify(d1);
        // The default role was set by the user itself, the admin being unable to.
        assertThat(MariaDbProbe.defaultRole(user + "_a")).isEqualTo(user);
        Delivery d2 = delivery(b, 2, v2, List.of(), new VersionReferences(1, List.of(least.materialReference(d1))));
        least.deliver(d2);
        least.verify(d2);
        least.revoke(revocation(least, b, 1, v1));
        assertThat(MariaDbProbe.isLocked(user + "_a", "%")).isTrue();
        assertThat(MariaDbProbe.works(user + "_b", v2.reveal())).isTrue();

        // A role someone else created must be granted to the admin WITH ADMIN OPTION first.
        String foreign = maria.newRole();
        MariaDbProbe.execute("CREATE ROLE " + AccountCatalog.quote(foreign));
        TargetBinding fb = binding(Map.of("user", maria.newUser(), "strategy", "alternating", "group", foreign));
        TargetException e = catchThrowableOfType(TargetException.class, () -> least.deliver(delivery(fb, 1, v1)));
        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("ADMIN OPTION");
        MariaDbProbe.execute("GRANT " + AccountCatalog.quote(foreign) + " TO " + AccountCatalog.account(adminUser, "%")
                + " WITH ADMIN OPTION");
        least.deliver(delivery(fb, 1, v1));
        least.verify(delivery(fb, 1, v1));
    }

    @Test
    void anAdminThatCannotReadTheCatalogVerifiesByLoginButCannotRecogniseVersionsToRevoke() {
        String adminUser = maria.newUser("rk_admin_");
        MariaDbProbe.execute("CREATE USER " + AccountCatalog.account(adminUser, "%") + " IDENTIFIED BY 'admin-pw-2'",
                "GRANT CREATE USER ON *.* TO " + AccountCatalog.account(adminUser, "%"));
        Target blind = admin("maria-blind", adminUser, "admin-pw-2");
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user));
        Secret v1 = password();
        blind.deliver(delivery(b, 1, v1));
        blind.verify(delivery(b, 1, v1));
        assertThat(MariaDbProbe.works(user, v1.reveal())).isTrue();

        TargetException e = catchThrowableOfType(TargetException.class, () -> blind.revoke(revocation(blind, b, 1, v1)));
        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("maria-blind").contains("mysql.global_priv").doesNotContain(v1.reveal());
        assertThat(MariaDbProbe.works(user, v1.reveal())).isTrue();
    }
}
