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

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The {@code mariadb-user} target against the machine's real MariaDB: every "this password works" is a fresh login
 * with it and the native hash the account stores; every "it no longer works" is a refused login.
 */
class MariaDbUserTargetIT {
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

    private Revocation revocation(TargetBinding binding, int version, Secret material) {
        return revocation(target, binding, version, material);
    }

    // ------------------------------------------------------------ single

    @Test
    void singleCreatesTheUserAndReplacesItsPassword() {
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user));
        target.validateBinding(b);
        Secret v1 = password();
        Secret v2 = password();

        target.deliver(delivery(b, 1, v1));
        target.verify(delivery(b, 1, v1));
        assertThat(MariaDbProbe.works(user, v1.reveal())).isTrue();
        assertThat(MariaDbProbe.isLocked(user, "%")).isFalse();

        target.deliver(delivery(b, 2, v2));
        target.verify(delivery(b, 2, v2));
        assertThat(MariaDbProbe.works(user, v2.reveal())).isTrue();
        // The old password stops working at once: that is what single means.
        assertThat(MariaDbProbe.logsIn(user, v1.reveal())).isFalse();
        assertThatThrownBy(() -> target.verify(delivery(b, 1, v1))).isInstanceOf(TargetException.class);

        // Revoking the previous version finds nothing of it left and must not touch the current password.
        target.revoke(revocation(b, 1, v1));
        target.revoke(revocation(b, 1, v1));
        assertThat(MariaDbProbe.works(user, v2.reveal())).isTrue();
        assertThat(MariaDbProbe.isLocked(user, "%")).isFalse();
    }

    @Test
    void singleDiscardLeavesTheAccountUsable() {
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user, "strategy", "single"));
        Secret v1 = password();
        Secret v2 = password();
        target.deliver(delivery(b, 1, v1));
        target.deliver(delivery(b, 2, v2));

        target.discard(revocation(b, 2, v2));
        target.discard(revocation(b, 2, v2));

        // The previous password cannot come back; the account is not locked either.
        assertThat(MariaDbProbe.isLocked(user, "%")).isFalse();
        assertThat(MariaDbProbe.works(user, v2.reveal())).isTrue();
    }

    @Test
    void singleRevocationOfTheVersionStillHeldLocksTheAccount() {
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user));
        Secret v1 = password();
        target.deliver(delivery(b, 1, v1));
        target.revoke(revocation(b, 1, v1));
        assertThat(MariaDbProbe.isLocked(user, "%")).isTrue();
        assertThat(MariaDbProbe.logsIn(user, v1.reveal())).isFalse();
        assertThat(MariaDbProbe.storedPasswordIs(user, "%", v1.reveal())).isFalse();
        TargetException e = catchThrowableOfType(TargetException.class, () -> target.verify(delivery(b, 1, v1)));
        assertThat(e).isNotNull();
        // Its password was replaced as well, so MariaDB refuses it before it looks at the lock.
        assertThat(e.retryable()).isFalse();

        // A new version unlocks it.
        Secret v2 = password();
        target.deliver(delivery(b, 2, v2));
        target.verify(delivery(b, 2, v2));
        assertThat(MariaDbProbe.works(user, v2.reveal())).isTrue();
    }

    @Test
    void aSpecificHostIsTheAccountChanged() {
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user, "host", "127.0.0.1"));
        Secret v1 = password();
        target.deliver(delivery(b, 1, v1));
        target.verify(delivery(b, 1, v1));
        assertThat(MariaDbProbe.exists(user, "127.0.0.1")).isTrue();
        assertThat(MariaDbProbe.exists(user, "%")).isFalse();
        assertThat(MariaDbProbe.storedPasswordIs(user, "127.0.0.1", v1.reveal())).isTrue();
        assertThat(MariaDbProbe.logsIn(user, v1.reveal())).isTrue();
        target.revoke(revocation(b, 1, v1));
        assertThat(MariaDbProbe.isLocked(user, "127.0.0.1")).isTrue();
    }

    // ------------------------------------------------------------ alternating

    @Test
    void alternatingKeepsBothWorkingDuringTheGracePeriodThenLocksTheOld() {
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user, "strategy", "alternating"));
        target.validateBinding(b);
        Secret v1 = password();
        Secret v2 = password();

        Delivery d1 = delivery(b, 1, v1);
        target.deliver(d1);
        target.verify(d1);
        VersionReferences current1 = new VersionReferences(1, List.of(target.materialReference(d1)));
        assertThat(target.login(b, "cred-1", current1)).isEqualTo(user + "_a");
        assertThat(MariaDbProbe.roleExists(user)).isTrue();
        assertThat(MariaDbProbe.exists(user, "%")).isFalse();
        assertThat(MariaDbProbe.hasRole(user + "_a", user)).isTrue();
        assertThat(MariaDbProbe.hasRole(user + "_b", user)).isTrue();
        assertThat(MariaDbProbe.defaultRole(user + "_a")).isEqualTo(user);
        assertThat(MariaDbProbe.isLocked(user + "_b", "%")).isTrue();
        assertThat(target.materialReference(d1)).startsWith(user + "_a:").doesNotContain(v1.reveal());

        Delivery d2 = delivery(b, 2, v2, List.of(), current1);
        target.deliver(d2);
        target.verify(d2);
        // Grace period: the old user with the old password and the new user with the new one.
        assertThat(MariaDbProbe.works(user + "_a", v1.reveal())).isTrue();
        assertThat(MariaDbProbe.works(user + "_b", v2.reveal())).isTrue();
        assertThat(MariaDbProbe.defaultRole(user + "_b")).isEqualTo(user);
        assertThat(MariaDbProbe.askAs(user + "_b", v2.reveal(), "SELECT CURRENT_ROLE()")).isEqualTo(user);

        target.revoke(revocation(b, 1, v1));
        assertThat(MariaDbProbe.isLocked(user + "_a", "%")).isTrue();
        assertThat(MariaDbProbe.logsIn(user + "_a", v1.reveal())).isFalse();
        assertThat(MariaDbProbe.storedPasswordIs(user + "_a", "%", v1.reveal())).isFalse();
        assertThat(MariaDbProbe.works(user + "_b", v2.reveal())).isTrue();

        // Version 3 goes back to _a, which logs in again.
        Secret v3 = password();
        VersionReferences current2 = new VersionReferences(2, List.of(target.materialReference(d2)));
        Delivery d3 = delivery(b, 3, v3, List.of(), current2);
        target.deliver(d3);
        target.verify(d3);
        assertThat(MariaDbProbe.works(user + "_a", v3.reveal())).isTrue();
        assertThat(MariaDbProbe.works(user + "_b", v2.reveal())).isTrue();
    }

    @Test
    void theGroupRolesPrivilegesComeWithEveryLogin() throws Exception {
        String user = maria.newUser();
        String group = maria.newRole();
        String table = "rk_t_" + user;
        MariaDbProbe.execute("CREATE TABLE test." + table + " (n INT)", "INSERT INTO test." + table + " VALUES (42)");
        try {
            TargetBinding b = binding(Map.of("user", user, "strategy", "alternating", "group", group));
            Secret v1 = password();
            target.deliver(delivery(b, 1, v1));
            MariaDbProbe.execute("GRANT SELECT ON test." + table + " TO " + AccountCatalog.quote(group));
            assertThat(MariaDbProbe.askAs(user + "_a", v1.reveal(), "SELECT n FROM test." + table)).isEqualTo("42");
            assertThat(MariaDbProbe.roleExists(user)).isFalse();
        } finally {
            MariaDbProbe.execute("DROP TABLE test." + table);
        }
    }

    @Test
    void revokingAnOldVersionNeverBreaksTheNewerOneOnTheSameAccount() {
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user, "strategy", "alternating"));
        Secret v1 = password();
        Secret v2 = password();
        Secret v3 = password();
        Delivery d1 = delivery(b, 1, v1);
        target.deliver(d1);
        Delivery d2 = delivery(b, 2, v2, List.of(), new VersionReferences(1, List.of(target.materialReference(d1))));
        target.deliver(d2);
        Delivery d3 = delivery(b, 3, v3, List.of(), new VersionReferences(2, List.of(target.materialReference(d2))));
        target.deliver(d3);
        assertThat(target.materialReference(d3)).startsWith(user + "_a:");

        // Version 1's revocation arrives late (after a crash, say): _a now carries version 3.
        target.revoke(revocation(b, 1, v1));
        target.discard(revocation(b, 1, v1));

        assertThat(MariaDbProbe.works(user + "_a", v3.reveal())).isTrue();
        assertThat(MariaDbProbe.isLocked(user + "_a", "%")).isFalse();
        assertThat(MariaDbProbe.works(user + "_b", v2.reveal())).isTrue();
    }

    @Test
    void discardLocksTheFailedAccountAndKeepsTheCurrentOne() {
        String user = maria.newUser();
        String group = maria.newRole();
        TargetBinding b = binding(Map.of("user", user, "strategy", "alternating", "group", group));
        Secret v1 = password();
        Secret v2 = password();
        Delivery d1 = delivery(b, 1, v1);
        target.deliver(d1);
        target.deliver(delivery(b, 2, v2, List.of(), new VersionReferences(1, List.of(target.materialReference(d1)))));
        assertThat(MariaDbProbe.hasRole(user + "_a", group)).isTrue();
        assertThat(MariaDbProbe.roleExists(user)).isFalse();

        target.discard(revocation(b, 2, v2));
        target.discard(revocation(b, 2, v2));

        assertThat(MariaDbProbe.isLocked(user + "_b", "%")).isTrue();
        assertThat(MariaDbProbe.logsIn(user + "_b", v2.reveal())).isFalse();
        assertThat(MariaDbProbe.works(user + "_a", v1.reveal())).isTrue();
        target.verify(d1);
    }

    @Test
    void aCrashAnywhereInADeliveryIsRepairedByDeliveringAgain() {
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user, "strategy", "alternating"));
        Secret v1 = password();
        Delivery d1 = delivery(b, 1, v1);
        target.deliver(d1);
        VersionReferences current = new VersionReferences(1, List.of(target.materialReference(d1)));

        // A crash after the pair was set up but before the new password was set: the next attempt finishes the job.
        Secret v2 = password();
        Delivery d2 = delivery(b, 2, v2, List.of(), current);
        String ref2 = target.materialReference(d2);
        target.deliver(d2);
        target.deliver(d2.withRecords(List.of(ref2), current, List.of()));
        target.verify(d2.withRecords(List.of(ref2), current, List.of()));
        assertThat(MariaDbProbe.works(user + "_b", v2.reveal())).isTrue();

        // After a restart the version is issued again with new material: it stays on the account it was placed on,
        // even though CURRENT has meanwhile moved (say, v1 was emergency-revoked and nothing is CURRENT).
        Secret v2again = password();
        Delivery again = delivery(b, 2, v2again, List.of(ref2), null);
        String ref2again = target.materialReference(again);
        assertThat(ref2again).startsWith(user + "_b:").isNotEqualTo(ref2);
        Delivery againRecorded = again.withRecords(List.of(ref2, ref2again), null, List.of());
        target.deliver(againRecorded);
        target.verify(againRecorded);
        assertThat(MariaDbProbe.works(user + "_b", v2again.reveal())).isTrue();
        assertThat(MariaDbProbe.works(user + "_a", v1.reveal())).isTrue();

        // Removing the version with both its references finds the one the account holds.
        Revocation both = new Revocation("agent-1", "cred-1", "password", 2, b, content -> false, List.of(ref2, ref2again));
        target.discard(both);
        target.discard(both);
        assertThat(MariaDbProbe.isLocked(user + "_b", "%")).isTrue();
        assertThat(MariaDbProbe.works(user + "_a", v1.reveal())).isTrue();
    }

    @Test
    void ourHashesAreComputedAsMariaDbComputesThem() {
        Secret plain = password();
        byte[] utf8 = plain.utf8();
        assertThat(NativePassword.of(utf8)).isEqualTo(MariaDbProbe.query("SELECT PASSWORD(?)", plain.reveal()));
        assertThat(NativePassword.of("pässwörd €".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(MariaDbProbe.query("SELECT PASSWORD(?)", "pässwörd €"));
    }

    // ------------------------------------------------------------ identifiers and bindings

    @Test
    void namesThatNeedQuotingWork() {
        String user = maria.newUser("Rk 'Quoted'; DROP USER x; `\"%_ é ");
        for (String strategy : List.of("single", "alternating")) {
            TargetBinding b = binding(Map.of("user", user, "strategy", strategy));
            target.validateBinding(b);
            Secret v1 = password();
            target.deliver(delivery(b, 1, v1));
            target.verify(delivery(b, 1, v1));
            String login = strategy.equals("single") ? user : user + "_a";
            assertThat(MariaDbProbe.works(login, v1.reveal())).isTrue();
            target.revoke(revocation(b, 1, v1));
            assertThat(MariaDbProbe.isLocked(login, "%")).isTrue();
        }
    }

    @Test
    void verifyRefusesAnAccountThatHoldsAnotherPassword() {
        String user = maria.newUser();
        TargetBinding b = binding(Map.of("user", user));
        Secret v1 = password();
        Secret wrong = password();
        target.deliver(delivery(b, 1, v1));
        TargetException e = catchThrowableOfType(TargetException.class, () -> target.verify(delivery(b, 1, wrong)));
        assertThat(e).isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("maria-main").contains(user).contains("refused")
                .doesNotContain(wrong.reveal()).doesNotContain(v1.reveal());
    }

    @Test
    void neverRevealsPasswords() {
        MariaDbUserTargetFactory f = MariaDbProbe.factory("jdbc:mariadb://127.0.0.1:3306/test?password=hunter2");
        Target t = f.build("maria-x");
        others.add(t);
        assertThat(t.toString()).doesNotContain("hunter2");
        assertThat(f.toString()).doesNotContain("hunter2");
    }
}
