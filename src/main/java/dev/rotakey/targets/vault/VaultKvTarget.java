package dev.rotakey.targets.vault;

import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Delivers credentials as secrets in a Vault KV version 2 engine, one KV path per binding: each
 * Rotakey version becomes a KV version written with check-and-set, revoked and discarded versions
 * are destroyed (not merely deleted), and a discard writes the previous data back so that the
 * current credential is again the latest.
 */
public final class VaultKvTarget implements Target {
    static final String TYPE = "vault-kv";
    static final String PATH = "path";
    static final String CERTIFICATE_TYPE = "certificate";
    static final String KEY = "key";
    static final String CERTIFICATE = "certificate";
    static final String CHAIN = "chain";
    static final String PRIVATE_KEY = "private_key";
    static final String PRIVATE_KEY_URI = "private_key_uri";
    static final String CREDENTIAL = "credential";
    static final String VERSION = "version";
    private static final Set<String> PARAMETERS = Set.of(PATH);
    /** Characters KV paths take without escaping, and which mean the same in every policy glob. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final String name;
    private final String mount;
    private final String pathPrefix;
    private final KvStore store;

    /**
     * @param pathPrefix prepended to every binding's path (validated like one), or null for none
     */
    VaultKvTarget(String name, String mount, String pathPrefix, KvStore store) {
        this.name = name;
        this.mount = mount;
        this.pathPrefix = pathPrefix == null || pathPrefix.isEmpty() ? null : pathPrefix;
        this.store = store;
    }

    /** The KV operations this target uses; tests wrap them to interfere with one call. */
    KvStore store() {
        return store;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public void validateBinding(TargetBinding binding) {
        bindingPath(binding);
    }

    @Override
    public void deliver(Delivery delivery) {
        String path = locate(delivery.binding());
        Map<String, String> data = dataOf(delivery);
        int current = currentVersion(path);
        if (currentHolds(path, current, delivery)) {
            return;
        }
        try {
            store.write(path, data, current);
        } catch (CasConflictException conflict) {
            // Someone wrote between our read and our write. If it was an earlier attempt of this
            // very delivery (a retry after a lost answer), the path already holds what we want.
            int now = currentVersion(path);
            if (currentHolds(path, now, delivery)) {
                return;
            }
            throw new TargetException(where(path) + ": another writer changed the path while version "
                    + delivery.version() + " of " + delivery.credentialId() + " was being delivered", true, conflict);
        }
    }

    @Override
    public void verify(Delivery delivery) {
        String path = locate(delivery.binding());
        int current = currentVersion(path);
        Optional<Map<String, String>> latest = current == 0 ? Optional.empty() : store.read(path, current);
        if (latest.isEmpty()) {
            throw new TargetException(where(path) + " holds no readable data; version " + delivery.version()
                    + " of " + delivery.credentialId() + " is not delivered", true);
        }
        if (!holds(latest.get(), delivery)) {
            throw new TargetException(where(path) + " does not hold version " + delivery.version() + " of "
                    + delivery.credentialId() + " as its latest KV version", true);
        }
    }

    /** Destroys every KV version holding the revoked material; other versions, newer or older, stay. */
    @Override
    public void revoke(Revocation revocation) {
        String path = locate(revocation.binding());
        Optional<KvStore.Metadata> metadata = store.metadata(path);
        if (metadata.isEmpty()) {
            return;
        }
        List<Integer> matching = matchingVersions(path, metadata.get(), revocation);
        if (!matching.isEmpty()) {
            store.destroy(path, matching);
        }
    }

    /**
     * Puts the previous data back as a new KV version when the discarded material is the latest,
     * then destroys every version holding it. After a crash between the two steps, the next call
     * finds the previous data already latest and only destroys.
     */
    @Override
    public void discard(Revocation revocation) {
        String path = locate(revocation.binding());
        Optional<KvStore.Metadata> found = store.metadata(path);
        if (found.isEmpty()) {
            return;
        }
        KvStore.Metadata metadata = found.get();
        List<Integer> matching = matchingVersions(path, metadata, revocation);
        if (matching.isEmpty()) {
            return;
        }
        int current = metadata.currentVersion();
        if (matching.contains(current)) {
            Optional<Map<String, String>> previous = previousData(path, metadata, matching);
            if (previous.isPresent()) {
                try {
                    store.write(path, previous.get(), current);
                } catch (CasConflictException conflict) {
                    throw new TargetException(where(path) + ": another writer changed the path while version "
                            + revocation.version() + " of " + revocation.credentialId() + " was being discarded; "
                            + "nothing was destroyed", true, conflict);
                }
            }
        }
        store.destroy(path, matching);
    }

    @Override
    public void close() {
        store.close();
    }

    /** The data of the newest readable version older than the current one that is not being discarded. */
    private Optional<Map<String, String>> previousData(String path, KvStore.Metadata metadata, List<Integer> discarded) {
        List<Integer> older = new ArrayList<>(metadata.versions().headMap(metadata.currentVersion()).keySet());
        for (int i = older.size() - 1; i >= 0; i--) {
            int version = older.get(i);
            if (discarded.contains(version) || !metadata.versions().get(version).readable()) {
                continue;
            }
            Optional<Map<String, String>> data = store.read(path, version);
            if (data.isPresent()) {
                return data;
            }
        }
        return Optional.empty();
    }

    private List<Integer> matchingVersions(String path, KvStore.Metadata metadata, Revocation revocation) {
        String field = CERTIFICATE_TYPE.equals(revocation.credentialType()) ? CERTIFICATE : KEY;
        List<Integer> matching = new ArrayList<>();
        metadata.versions().forEach((version, state) -> {
            if (!state.readable()) {
                return;
            }
            store.read(path, version).map(data -> data.get(field)).ifPresent(content -> {
                byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
                try {
                    if (revocation.matcher().matches(bytes)) {
                        matching.add(version);
                    }
                } finally {
                    Arrays.fill(bytes, (byte) 0);
                }
            });
        });
        return matching;
    }

    private int currentVersion(String path) {
        return store.metadata(path).map(KvStore.Metadata::currentVersion).orElse(0);
    }

    private boolean currentHolds(String path, int current, Delivery delivery) {
        return current > 0 && store.read(path, current).map(data -> holds(data, delivery)).orElse(false);
    }

    /** Whether KV data holds exactly the delivery's material, compared in constant time. */
    private boolean holds(Map<String, String> data, Delivery delivery) {
        Map<String, String> expected = dataOf(delivery);
        boolean same = true;
        for (String field : List.of(KEY, CERTIFICATE, CHAIN, PRIVATE_KEY, PRIVATE_KEY_URI)) {
            String want = expected.get(field);
            String have = data.get(field);
            if (want == null || have == null) {
                same &= want == null && have == null;
                continue;
            }
            byte[] a = want.getBytes(StandardCharsets.UTF_8);
            byte[] b = have.getBytes(StandardCharsets.UTF_8);
            same &= MessageDigest.isEqual(a, b);
            Arrays.fill(a, (byte) 0);
            Arrays.fill(b, (byte) 0);
        }
        return same;
    }

    private Map<String, String> dataOf(Delivery delivery) {
        Map<String, String> data = new LinkedHashMap<>();
        if (delivery.isCertificate()) {
            CertificateMaterial certificate = delivery.certificate();
            data.put(CERTIFICATE, certificate.certificatePem());
            data.put(CHAIN, certificate.chainPem());
            if (certificate.privateKeyPem() != null) {
                data.put(PRIVATE_KEY, certificate.privateKeyPem().reveal());
            } else {
                data.put(PRIVATE_KEY_URI, certificate.privateKeyUri());
            }
        } else if (CERTIFICATE_TYPE.equals(delivery.credentialType())) {
            throw new TargetException("target '" + name + "': " + delivery + " is a certificate delivery without "
                    + "its chain and key", false);
        } else {
            data.put(KEY, delivery.material().reveal());
        }
        data.put(CREDENTIAL, delivery.credentialId());
        data.put(VERSION, Integer.toString(delivery.version()));
        return data;
    }

    /** The KV secret the binding writes: the mount and the path below it, with the configured prefix. */
    @Override
    public List<String> claims(TargetBinding binding) {
        return List.of("kv:" + mount + "/" + locate(binding));
    }

    /** The binding's KV path below the mount, with the configured prefix. */
    private String locate(TargetBinding binding) {
        String path;
        try {
            path = bindingPath(binding);
        } catch (InvalidBindingException e) {
            throw new TargetException("target '" + name + "': invalid binding: " + e.getMessage(), false, e);
        }
        return pathPrefix == null ? path : pathPrefix + "/" + path;
    }

    private String where(String path) {
        return "target '" + name + "': Vault KV path '" + mount + "/" + path + "'";
    }

    static String bindingPath(TargetBinding binding) {
        binding.refuseUnknownParams(TYPE, PARAMETERS);
        String path = binding.requireParam(PATH);
        checkPath(PATH, path);
        return path;
    }

    /**
     * Refuses what would leave the intended place or change meaning in a URL or policy: absolute
     * paths, empty, {@code .} and {@code ..} segments, and characters outside letters, digits,
     * {@code .}, {@code _} and {@code -}.
     */
    static void checkPath(String parameter, String path) {
        if (path.startsWith("/")) {
            throw new InvalidBindingException(parameter, "'" + path + "' must be relative to the mount, without a leading '/'");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                throw new InvalidBindingException(parameter, "'" + path + "' must not contain empty segments (a trailing or doubled '/')");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidBindingException(parameter, "'" + path + "' must not contain '.' or '..' segments");
            }
            if (!SEGMENT.matcher(segment).matches()) {
                throw new InvalidBindingException(parameter, "'" + path + "' may only contain letters, digits, '.', '_' "
                        + "and '-' in segments separated by '/', each starting with a letter or digit");
            }
        }
    }

    @Override
    public String toString() {
        return "VaultKvTarget{name=" + name + ", mount=" + mount + ", pathPrefix=" + pathPrefix + ", store=" + store + "}";
    }
}
