package dev.rotakey.targets.files;

import dev.rotakey.targets.BindingUse;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Promotion;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.hooks.HookContext;
import dev.rotakey.targets.hooks.ReloadHook;
import dev.rotakey.targets.hooks.ReloadHooks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Delivers credentials as files under one base directory, written atomically, with the previous content kept beside
 * each file until the new version is settled so that a failed rotation can put it back, and runs the bindings' reload
 * hooks. An API key or a password goes to the one file its binding's {@code path} names ({@link SecretFile}); a
 * certificate goes to the directory it names ({@link CertificateFiles}). Who may read them is the binding's
 * {@link FileAccess}.
 *
 * <p>Symbolic links are checked when an operation starts (no path component may resolve outside
 * the base directory, the file itself may not be a link). Whoever can write inside the base
 * directory could still swap a directory for a link between that check and the write; the base
 * directory is 0700 (0711 when agents read their own files) so that only Rotakey's own user can.
 */
public final class LocalFilesTarget implements Target {
    static final String TYPE = "local-files";

    private final String name;
    private final BaseDirectory tree;
    private final CertificateFiles certificates;
    private final LoginFile logins;
    private final SecretFile secrets;
    private final FreshWrites fresh = new FreshWrites();
    private final Handover handover;
    private final ReloadHooks hooks;

    /**
     * @param baseDirectory an existing directory; symbolic links in it are resolved once, here
     * @throws TargetException when the directory does not exist or cannot be resolved
     */
    public LocalFilesTarget(String name, Path baseDirectory) {
        this(name, baseDirectory, ReloadHooks.none());
    }

    /**
     * @param hooks the hooks the target's configuration defines, which bindings name in {@code onDeliver} and
     *              {@code onPromote}
     */
    public LocalFilesTarget(String name, Path baseDirectory, ReloadHooks hooks) {
        this.name = name;
        this.tree = new BaseDirectory(name, baseDirectory);
        this.certificates = new CertificateFiles(this);
        this.logins = new LoginFile(this);
        this.secrets = new SecretFile(this, logins);
        this.handover = new Handover(tree);
        this.hooks = hooks;
    }

    String targetName() {
        return name;
    }

    BaseDirectory tree() {
        return tree;
    }

    FreshWrites fresh() {
        return fresh;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return TYPE;
    }

    /**
     * Checks the binding's path, access and format; a binding that shares its files with a group or an owner also
     * needs a directory others may pass through, and a daemon allowed to hand files over ({@link Handover}).
     */
    @Override
    public void validateBinding(TargetBinding binding) {
        Location.of(binding);
        FileAccess access = FileAccess.of(binding);
        if (SecretFormat.names(binding.param(SecretFormat.FORMAT))) {
            SecretFormat.of(binding);
        } else {
            CertificateFormat.of(binding);
        }
        for (String parameter : new String[] {Location.ON_DELIVER, Location.ON_PROMOTE}) {
            String hook = binding.param(parameter);
            if (hook != null) {
                hooks.require(parameter, hook);
            }
        }
        if (access.shared()) {
            handover.check(access);
        }
    }

    /** A secret format on a certificate, a certificate format on a secret, or a URI without a login: refused. */
    @Override
    public void validateUse(TargetBinding binding, BindingUse use) {
        String format = binding.param(SecretFormat.FORMAT);
        boolean certificate = CertificateFiles.TYPE.equals(use.credentialType());
        if (certificate && format != null && SecretFormat.names(format)) {
            throw new InvalidBindingException(SecretFormat.FORMAT, "'" + format + "' is a format of API keys and "
                    + "passwords; a certificate is written as 'pem' (the default), 'pkcs12' or 'combined'");
        }
        if (!certificate && !SecretFormat.names(format)) {
            throw new InvalidBindingException(SecretFormat.FORMAT, "'" + format + "' is a format of certificates; an "
                    + use.credentialType() + " is written as 'raw' (the default), 'env', 'json' or 'uri'");
        }
        if (certificate) {
            CertificateFormat.of(binding).validateUse(use);
        } else if (SecretFormat.of(binding) == SecretFormat.URI && use.endpoints().isEmpty()) {
            throw new InvalidBindingException(SecretFormat.FORMAT, "'uri' needs another binding of the credential to a "
                    + "target that defines a user (postgres-role, mariadb-user, redis-acl)");
        }
    }

    /** An {@code env} file cannot hold shell metacharacters unquoted: passwords for it are generated without them. */
    @Override
    public Set<Character> refusedCharacters(TargetBinding binding) {
        return "env".equals(binding.param(SecretFormat.FORMAT)) ? SecretFormat.ENV_REFUSED : Set.of();
    }

    /**
     * The file the binding writes (its backup and temporary files are named after it) and, since the same path may
     * hold a certificate's directory, the files a certificate puts there: two credentials bound to one path, or one
     * to a certificate's file, would overwrite each other.
     */
    @Override
    public List<String> claims(TargetBinding binding) {
        String path = Location.of(binding).relative();
        Stream<String> login = Location.login(binding).map(Location::relative).stream();
        return Stream.of(Stream.of(path), Stream.of(CertificateFiles.CERT, CertificateFiles.CHAIN, CertificateFiles.KEY,
                CertificateFiles.KEY_URI).map(f -> path + "/" + f), login).flatMap(x -> x).map(p -> "path:" + p).toList();
    }

    /** Delivers the version, then runs the binding's {@code onDeliver} hook: a failed hook fails the delivery. */
    @Override
    public void deliver(Delivery delivery) {
        write(delivery);
        hook(delivery.binding(), Location.ON_DELIVER).ifPresent(hook -> hook.run(new HookContext(name,
                delivery.agentId(), delivery.credentialId(), delivery.version(), HookContext.DELIVERED,
                deliveredPath(delivery.binding()))));
    }

    /** Runs the binding's {@code onPromote} hook, if it has one. */
    @Override
    public boolean promoted(Promotion promotion) {
        Optional<ReloadHook> hook = hook(promotion.binding(), Location.ON_PROMOTE);
        hook.ifPresent(h -> h.run(new HookContext(name, promotion.agentId(), promotion.credentialId(),
                promotion.version(), HookContext.PROMOTED, deliveredPath(promotion.binding()))));
        return hook.isPresent();
    }

    private Optional<ReloadHook> hook(TargetBinding binding, String parameter) {
        String hook = binding.param(parameter);
        if (hook == null) {
            return Optional.empty();
        }
        return Optional.of(parsed(binding, b -> hooks.require(parameter, hook)));
    }

    /** The absolute path of the binding's file or certificate directory, as the hooks are told it. */
    private Path deliveredPath(TargetBinding binding) {
        return tree.path().resolve(locate(binding).relative());
    }

    private void write(Delivery delivery) {
        if (isCertificate(delivery)) {
            certificates.deliver(delivery);
            return;
        }
        secrets.deliver(delivery);
    }

    @Override
    public void verify(Delivery delivery) {
        if (isCertificate(delivery)) {
            certificates.verify(delivery);
            return;
        }
        secrets.verify(delivery);
    }

    @Override
    public void revoke(Revocation revocation) {
        if (CertificateFiles.TYPE.equals(revocation.credentialType())) {
            certificates.revoke(revocation);
            return;
        }
        secrets.revoke(revocation);
    }

    @Override
    public void discard(Revocation revocation) {
        if (CertificateFiles.TYPE.equals(revocation.credentialType())) {
            certificates.discard(revocation);
            return;
        }
        secrets.discard(revocation);
    }

    /**
     * Runs a revocation or a discard in the directory {@code lookup} finds for the binding; when there is none, nothing
     * was delivered and there is nothing to do. An I/O failure names the path the removal last passed to {@code at}
     * (before that, the binding's path).
     */
    void remove(String action, Revocation revocation, DirectoryLookup lookup, Removal removal) {
        Location location = locate(revocation.binding());
        Path[] at = {tree.path().resolve(location.relative())};
        try {
            Optional<Path> dir = lookup.find(location);
            if (dir.isEmpty()) {
                return;
            }
            removal.run(dir.get(), location, file -> at[0] = file);
        } catch (IOException e) {
            throw tree.ioFailure(action + " version " + revocation.version() + " at", at[0], e);
        }
    }

    /** Finds the existing directory a binding's files are in. */
    @FunctionalInterface
    interface DirectoryLookup {
        Optional<Path> find(Location location) throws IOException;
    }

    /** What a revocation or discard does in the binding's directory; it passes {@code at} each file it turns to. */
    @FunctionalInterface
    interface Removal {
        void run(Path dir, Location location, Consumer<Path> at) throws IOException;
    }

    /**
     * Whether a delivery is a certificate's: refuses one that says it is a certificate without
     * carrying one, which would otherwise be written as a single file holding only the PEM.
     */
    private boolean isCertificate(Delivery delivery) {
        if (!delivery.isCertificate() && CertificateFiles.TYPE.equals(delivery.credentialType())) {
            throw new TargetException("target '" + name + "': " + delivery + " is a certificate delivery without "
                    + "its chain and key", false);
        }
        return delivery.isCertificate();
    }

    Location locate(TargetBinding binding) {
        return parsed(binding, Location::of);
    }

    FileAccess access(TargetBinding binding) {
        return parsed(binding, FileAccess::of);
    }

    CertificateFormat certificateFormat(TargetBinding binding) {
        return parsed(binding, CertificateFormat::of);
    }

    /**
     * A binding's parameters parsed while it is used: they were accepted at creation, so a refusal now (a binding
     * stored by an older version, a hook since removed from the configuration) is nothing a retry could mend.
     */
    <T> T parsed(TargetBinding binding, Function<TargetBinding, T> parse) {
        try {
            return parse.apply(binding);
        } catch (InvalidBindingException e) {
            throw new TargetException("target '" + name + "': invalid binding: " + e.getMessage(), false, e);
        }
    }

    @Override
    public String toString() {
        return "LocalFilesTarget{name=" + name + ", directory=" + tree.path() + "}";
    }

}
