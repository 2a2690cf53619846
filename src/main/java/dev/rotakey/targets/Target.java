package dev.rotakey.targets;

import java.util.List;
import java.util.Set;

/**
 * A system that receives or accepts credentials (a directory of files, a database role, a
 * Redis ACL user, …). Credentials bind to a target by its configured name with parameters of
 * their own ({@link TargetBinding}).
 *
 * <p>The contract every target honours: {@link #deliver}, {@link #verify}, {@link #revoke} and
 * {@link #discard} are idempotent and safe to repeat after a crash; a failure is a
 * {@link TargetException} that says whether a retry may help; no method logs or echoes secret
 * material.
 */
public interface Target extends AutoCloseable {

    /** The configured name ({@code local-files}, …). */
    String name();

    /** The configured type ({@code local-files}, {@code redis-acl}, …). */
    String type();

    /**
     * Checks a binding's parameters when a credential is created, before anything is generated.
     *
     * @throws InvalidBindingException naming the offending parameter
     */
    void validateBinding(TargetBinding binding);

    /**
     * Checks a binding against the credential it serves ({@link BindingUse}), after {@link #validateBinding} accepted
     * its parameters; nothing to check by default.
     *
     * @throws InvalidBindingException naming the offending parameter
     */
    default void validateUse(TargetBinding binding, BindingUse use) {
    }

    /**
     * Characters that passwords delivered through {@code binding} must not contain, because the
     * system behind it refuses or mangles them. Rotakey generates passwords from the credential's
     * alphabet without the refused characters of every binding, and refuses at creation a
     * credential whose alphabet would keep fewer than ten.
     */
    default Set<Character> refusedCharacters(TargetBinding binding) {
        return Set.of();
    }

    /**
     * A short, non-secret reference to the material as this target will hold it, for targets that
     * cannot recognise a version by its content (a Redis server keeps only a hash of each password,
     * which {@link Revocation#matcher()} cannot be applied to). Rotakey persists it before the
     * material leaves the process and hands it back in {@link Revocation#references()}; null when
     * the target needs none (the default). It must not let anyone test a guess of the secret.
     */
    default String materialReference(Delivery delivery) {
        return null;
    }

    /**
     * The exclusive resources a binding occupies at this target, as normalised keys (a file's relative path, a
     * Vault mount and path, a role, a user): two credentials whose bindings to the same target share a key would
     * overwrite each other's secret, so Rotakey refuses the second at creation. Called only with a binding that
     * {@link #validateBinding} accepted; empty when the binding occupies nothing exclusively (the default).
     */
    default List<String> claims(TargetBinding binding) {
        return List.of();
    }

    /**
     * The user name that the version described by {@code version} logs in with through {@code binding}, when this
     * target defines one (a PostgreSQL login role, a MariaDB user, a Redis ACL user), or null (the default). Decided from the recorded references, so
     * that the API and the credential's other bindings can tell the consumer; public data.
     */
    default String login(TargetBinding binding, String credentialId, VersionReferences version) {
        return null;
    }

    /**
     * Where the consumer of {@code binding} logs in (engine, host, port, database), for targets that define a user
     * ({@link #login} not null), or null (the default). From the configuration alone; public data.
     */
    default Endpoint endpoint(TargetBinding binding) {
        return null;
    }

    /** Makes a new version available at this target. */
    void deliver(Delivery delivery);

    /**
     * Confirms that the delivered version works here (reads it back, logs in with it).
     *
     * @throws TargetException when it does not
     */
    void verify(Delivery delivery);

    /**
     * Acts on a promotion, once it is committed: a binding's hook that tells the consumer to switch, say. Not part of
     * the rotation: a failure is reported (audited, alerted) and never undoes the promotion.
     *
     * @return whether the binding asked for anything to be done (false by default)
     * @throws TargetException when what the binding asked for failed
     */
    default boolean promoted(Promotion promotion) {
        return false;
    }

    /**
     * Removes a superseded version from this target once its grace period is over (or at once, in
     * an emergency). Must leave a newer version untouched.
     */
    void revoke(Revocation revocation);

    /**
     * Cleans up a pending version whose rotation failed, so that the target is as it was before
     * the rotation: the current version must keep working.
     */
    void discard(Revocation revocation);

    @Override
    default void close() {
    }
}
