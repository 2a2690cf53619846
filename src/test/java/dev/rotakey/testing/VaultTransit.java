package dev.rotakey.testing;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The transit secrets engine with real key material: named key rings with versions, signing,
 * verification, HMAC, random bytes, data keys and export, following Vault's keysutil rules.
 */
final class VaultTransit {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One version of a key ring. */
    static final class Version {
        final int number;
        final Instant created;
        final byte[] secret;
        final KeyPair pair;
        final byte[] hmacKey;

        Version(int number, Instant created, byte[] secret, KeyPair pair, byte[] hmacKey) {
            this.number = number;
            this.created = created;
            this.secret = secret;
            this.pair = pair;
            this.hmacKey = hmacKey;
        }
    }

    /** A named key ring; every access holds its monitor. */
    static final class Key {
        final String name;
        final String type;
        final int keySize;
        final TreeMap<Integer, Version> versions = new TreeMap<>();
        int latest;
        int minDecryption = 1;
        int minEncryption;
        int minAvailable;
        boolean deletionAllowed;
        boolean exportable;
        boolean allowPlaintextBackup;
        Duration autoRotatePeriod = Duration.ZERO;

        Key(String name, String type, int keySize) {
            this.name = name;
            this.type = type;
            this.keySize = keySize;
        }

        boolean asymmetric() {
            return type.startsWith("ecdsa-") || type.startsWith("rsa-");
        }
    }

    private final Map<String, Key> keys = new ConcurrentSkipListMap<>();
    private final VaultTokens tokens;

    VaultTransit(VaultTokens tokens) {
        this.tokens = tokens;
    }

    VaultReply handle(VaultCall call) {
        String p = call.path;
        String[] parts = p.split("/", -1);
        String op = parts[0];
        boolean list = call.method.equals("LIST");
        if (p.equals("keys") || p.equals("keys/")) {
            if (list) {
                return listKeys();
            }
            throw VaultError.unsupportedOperation();
        }
        switch (op) {
            case "keys" -> {
                if (parts.length == 2) {
                    String name = parts[1];
                    return switch (call.method) {
                        case "GET" -> VaultReply.data(read(existing(name)));
                        case "POST", "PUT" -> create(name, call);
                        case "DELETE" -> delete(name);
                        default -> throw VaultError.unsupportedOperation();
                    };
                }
                if (parts.length == 3 && List.of("rotate", "config", "trim").contains(parts[2])) {
                    if (!call.isWrite()) {
                        throw VaultError.unsupportedOperation();
                    }
                    String name = parts[1];
                    return switch (parts[2]) {
                        case "rotate" -> rotate(name);
                        case "config" -> config(name, call);
                        default -> trim(name, call);
                    };
                }
            }
            case "sign" -> {
                if (call.isWrite() && (parts.length == 2 || parts.length == 3)) {
                    return sign(parts[1], parts.length == 3 ? parts[2] : null, call);
                }
            }
            case "verify" -> {
                if (call.isWrite() && (parts.length == 2 || parts.length == 3)) {
                    return verify(parts[1], parts.length == 3 ? parts[2] : null, call);
                }
            }
            case "hmac" -> {
                if (call.isWrite() && (parts.length == 2 || parts.length == 3)) {
                    return hmac(parts[1], parts.length == 3 ? parts[2] : null, call);
                }
            }
            case "random" -> {
                if (call.isWrite() && parts.length <= 3) {
                    return random(parts.length >= 2 ? parts[1] : null, parts.length == 3 ? parts[2] : null, call);
                }
            }
            case "encrypt" -> {
                if (call.isWrite() && parts.length == 2) {
                    return encrypt(parts[1], call);
                }
            }
            case "decrypt" -> {
                if (call.isWrite() && parts.length == 2) {
                    return decrypt(parts[1], call);
                }
            }
            case "datakey" -> {
                if (call.isWrite() && parts.length == 3) {
                    return datakey(parts[1], parts[2], call);
                }
            }
            case "export" -> {
                if (call.method.equals("GET") && (parts.length == 3 || parts.length == 4)) {
                    return export(parts[1], parts[2], parts.length == 4 ? parts[3] : null);
                }
            }
            default -> {
            }
        }
        if (List.of("sign", "verify", "hmac", "random", "encrypt", "decrypt", "datakey").contains(op)
                && !call.isWrite() && parts.length >= 1) {
            throw VaultError.unsupportedOperation();
        }
        throw VaultError.unsupportedPath();
    }

    // ---- key management -------------------------------------------------------------------

    private Key existing(String name) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.notFound();
        }
        return k;
    }

    private VaultReply listKeys() {
        if (keys.isEmpty()) {
            // Vault answers an empty LIST with 404 and no errors.
            throw VaultError.notFound();
        }
        return VaultReply.data(Map.of("keys", new ArrayList<>(keys.keySet())));
    }

    private VaultReply create(String name, VaultCall call) {
        String type = call.string("type", "aes256-gcm96");
        int keySize = call.integer("key_size", 0);
        boolean exportable = call.bool("exportable", false);
        boolean backup = call.bool("allow_plaintext_backup", false);
        Duration autoRotate = call.duration("auto_rotate_period", Duration.ZERO);
        if (!autoRotate.isZero() && autoRotate.compareTo(Duration.ofHours(1)) < 0) {
            throw VaultError.badRequest("auto rotate period must be 0 to disable or at least an hour");
        }
        switch (type) {
            case "aes256-gcm96", "ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096" -> {
                if (keySize != 0) {
                    throw VaultError.badRequest("key_size is not valid for algorithm " + type);
                }
            }
            case "hmac" -> {
                if (keySize == 0) {
                    keySize = 32;
                }
                if (keySize < 32 || keySize > 512) {
                    throw VaultError.badRequest("invalid key_size " + keySize);
                }
            }
            default -> throw VaultError.badRequest("unknown key type " + type);
        }
        Key existing = keys.get(name);
        if (existing == null) {
            // Version 1 exists before the key is published, so no other thread ever sees an empty ring.
            Key key = new Key(name, type, keySize);
            key.exportable = exportable;
            key.allowPlaintextBackup = backup;
            key.autoRotatePeriod = autoRotate;
            addVersion(key);
            existing = keys.putIfAbsent(name, key);
            if (existing == null) {
                return VaultReply.data(read(key));
            }
        }
        // Creating a key that exists changes nothing; Vault only warns.
        return VaultReply.data(read(existing), List.of("key " + name + " already existed"));
    }

    private void addVersion(Key key) {
        int n = key.latest + 1;
        byte[] hmacKey = randomBytes(32);
        byte[] secret = null;
        KeyPair pair = null;
        try {
            switch (key.type) {
                case "aes256-gcm96" -> secret = randomBytes(32);
                case "hmac" -> secret = randomBytes(key.keySize);
                case "ecdsa-p256", "ecdsa-p384" -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec(key.type.equals("ecdsa-p256") ? "secp256r1" : "secp384r1"));
                    pair = g.generateKeyPair();
                }
                default -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(new RSAKeyGenParameterSpec(Integer.parseInt(key.type.substring(4)),
                            RSAKeyGenParameterSpec.F4));
                    pair = g.generateKeyPair();
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        key.versions.put(n, new Version(n, tokens.now(), secret, pair, hmacKey));
        key.latest = n;
    }

    private Map<String, Object> read(Key k) {
        synchronized (k) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("allow_plaintext_backup", k.allowPlaintextBackup);
            d.put("auto_rotate_period", k.autoRotatePeriod.getSeconds());
            d.put("deletion_allowed", k.deletionAllowed);
            d.put("derived", false);
            d.put("exportable", k.exportable);
            d.put("imported_key", false);
            if (k.type.equals("hmac")) {
                d.put("key_size", k.keySize);
            }
            Map<String, Object> versions = new LinkedHashMap<>();
            for (Version v : k.versions.values()) {
                if (k.asymmetric()) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("certificate_chain", "");
                    e.put("creation_time", VaultReply.rfc3339(v.created));
                    e.put("name", k.type.startsWith("ecdsa-") ? "P-" + k.type.substring(7) : k.type);
                    e.put("public_key", VaultCrypto.pem("PUBLIC KEY", v.pair.getPublic().getEncoded()));
                    versions.put(Integer.toString(v.number), e);
                } else {
                    versions.put(Integer.toString(v.number), v.created.getEpochSecond());
                }
            }
            // Vault's key read has no "keys" map at all for hmac keys: only AES and asymmetric types list versions.
            if (!k.type.equals("hmac")) {
                d.put("keys", versions);
            }
            d.put("latest_version", k.latest);
            d.put("min_available_version", k.minAvailable);
            d.put("min_decryption_version", k.minDecryption);
            d.put("min_encryption_version", k.minEncryption);
            d.put("name", k.name);
            d.put("supports_decryption", k.type.equals("aes256-gcm96") || k.type.startsWith("rsa-"));
            d.put("supports_derivation", k.type.equals("aes256-gcm96"));
            d.put("supports_encryption", k.type.equals("aes256-gcm96") || k.type.startsWith("rsa-"));
            d.put("supports_signing", k.asymmetric());
            d.put("type", k.type);
            return d;
        }
    }

    private VaultReply delete(String name) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("error deleting policy " + name + ": could not delete key; not found");
        }
        synchronized (k) {
            if (!k.deletionAllowed) {
                throw VaultError.badRequest("error deleting policy " + name + ": deletion is not allowed for this key");
            }
            keys.remove(name);
        }
        return VaultReply.noContent();
    }

    private VaultReply rotate(String name) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("key not found");
        }
        synchronized (k) {
            addVersion(k);
            return VaultReply.data(read(k));
        }
    }

    private VaultReply config(String name, VaultCall call) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("no existing key named " + name + " could be found");
        }
        synchronized (k) {
            // Validate everything against a copy of the settings first so a rejected request changes nothing.
            int minDec = k.minDecryption;
            int minEnc = k.minEncryption;
            List<String> warnings = new ArrayList<>();
            if (call.has("min_decryption_version")) {
                int v = call.integer("min_decryption_version", 0);
                if (v < 0) {
                    throw VaultError.badRequest("min decryption version cannot be negative");
                }
                if (v == 0) {
                    v = 1;
                    warnings.add("since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1");
                }
                if (v != minDec && v > k.latest) {
                    throw VaultError.badRequest("cannot set min decryption version of " + v
                            + ", latest key version is " + k.latest);
                }
                minDec = v;
            }
            if (call.has("min_encryption_version")) {
                int v = call.integer("min_encryption_version", 0);
                if (v < 0) {
                    throw VaultError.badRequest("min encryption version cannot be negative");
                }
                if (v != minEnc && v > k.latest) {
                    throw VaultError.badRequest("cannot set min encryption version of " + v
                            + ", latest key version is " + k.latest);
                }
                minEnc = v;
            }
            if (minEnc > 0 && minEnc < minDec) {
                throw VaultError.badRequest("cannot set min encryption/decryption values; min encryption version of "
                        + minEnc + " must be greater than or equal to min decryption version of " + minDec);
            }
            if (call.has("auto_rotate_period")) {
                Duration period = call.duration("auto_rotate_period", Duration.ZERO);
                if (!period.isZero() && period.compareTo(Duration.ofHours(1)) < 0) {
                    throw VaultError.badRequest("auto rotate period must be 0 to disable or at least an hour");
                }
            }
            boolean changed = minDec != k.minDecryption || minEnc != k.minEncryption;
            if (changed && k.minAvailable > minEnc) {
                throw VaultError.badRequest("min encryption version should not be less than min available version");
            }
            if (changed && k.minAvailable > minDec) {
                throw VaultError.badRequest("min decryption version should not be less then min available version");
            }
            // exportable and allow_plaintext_backup can only be switched on: Vault ignores a false silently.
            boolean exportable = k.exportable || call.bool("exportable", false);
            boolean backup = k.allowPlaintextBackup || call.bool("allow_plaintext_backup", false);
            Duration autoRotate = call.has("auto_rotate_period") ? call.duration("auto_rotate_period", Duration.ZERO)
                    : k.autoRotatePeriod;
            k.minDecryption = minDec;
            k.minEncryption = minEnc;
            k.exportable = exportable;
            k.allowPlaintextBackup = backup;
            k.autoRotatePeriod = autoRotate;
            if (call.has("deletion_allowed")) {
                k.deletionAllowed = call.bool("deletion_allowed", false);
            }
            return VaultReply.data(read(k), warnings);
        }
    }

    private VaultReply trim(String name, VaultCall call) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("invalid key name");
        }
        if (!call.has("min_available_version")) {
            throw VaultError.badRequest("missing min_available_version");
        }
        int v = call.integer("min_available_version", 0);
        synchronized (k) {
            if (v < k.minAvailable) {
                throw VaultError.badRequest("minimum available version cannot be decremented");
            }
            if (k.minEncryption == 0) {
                throw VaultError.badRequest(
                        "minimum available version cannot be set when minimum encryption version is not set");
            }
            if (v > k.minEncryption) {
                throw VaultError.badRequest(
                        "minimum available version cannot be greater than minmum encryption version");
            }
            if (v > k.minDecryption) {
                throw VaultError.badRequest(
                        "minimum available version cannot be greater than minimum decryption version");
            }
            if (v < 0) {
                throw VaultError.badRequest("minimum available version cannot be negative");
            }
            if (v == 0) {
                throw VaultError.badRequest("minimum available version should be positive");
            }
            k.versions.headMap(v).clear();
            k.minAvailable = v;
        }
        return VaultReply.noContent();
    }

    // ---- signing ---------------------------------------------------------------------------

    private static String hashFromRequest(String urlAlgorithm, VaultCall call) {
        String h = urlAlgorithm != null && !urlAlgorithm.isEmpty() ? urlAlgorithm
                : call.string("hash_algorithm", call.string("algorithm", "sha2-256"));
        return h;
    }

    /** JCA digest name for a Vault hash name, or null for "none". */
    private static String digestName(String vaultHash) {
        return switch (vaultHash) {
            case "sha1" -> "SHA-1";
            case "sha2-224" -> "SHA-224";
            case "sha2-256" -> "SHA-256";
            case "sha2-384" -> "SHA-384";
            case "sha2-512" -> "SHA-512";
            case "sha3-224" -> "SHA3-224";
            case "sha3-256" -> "SHA3-256";
            case "sha3-384" -> "SHA3-384";
            case "sha3-512" -> "SHA3-512";
            case "none" -> null;
            default -> throw VaultError.badRequest("invalid hash algorithm \"" + vaultHash + "\"");
        };
    }

    private static byte[] base64Input(VaultCall call) {
        // Vault treats a missing input as the empty string, not as an error.
        String input = call.string("input", "");
        try {
            return Base64.getDecoder().decode(input);
        } catch (IllegalArgumentException e) {
            throw VaultError.badRequest("unable to decode input as base64: " + e.getMessage());
        }
    }

    /** The parameters shared by sign and verify, parsed and checked once. */
    private record SignParams(String hash, String digest, boolean prehashed, String sigAlgorithm, String marshaling,
            String saltLength) {
    }

    private static SignParams signParams(Key k, String urlAlgorithm, VaultCall call) {
        String hash = hashFromRequest(urlAlgorithm, call);
        String digest = digestName(hash);
        boolean prehashed = call.bool("prehashed", false);
        String sigAlg = call.string("signature_algorithm", "pss");
        if (!sigAlg.equals("pss") && !sigAlg.equals("pkcs1v15")) {
            throw VaultError.badRequest("unsupported rsa signature algorithm " + sigAlg);
        }
        String marshaling = call.string("marshaling_algorithm", "asn1");
        if (!marshaling.equals("asn1") && !marshaling.equals("jws")) {
            throw VaultError.badRequest("invalid marshaling type \"" + marshaling + "\"");
        }
        String salt = call.string("salt_length", "auto");
        if (digest == null && (!k.type.startsWith("rsa-") || !prehashed || !sigAlg.equals("pkcs1v15"))) {
            throw VaultError.badRequest(
                    "hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15");
        }
        return new SignParams(hash, digest, prehashed, sigAlg, marshaling, salt);
    }

    private static byte[] digestOf(SignParams sp, byte[] input) {
        if (sp.prehashed || sp.digest == null) {
            return input;
        }
        try {
            return MessageDigest.getInstance(sp.digest).digest(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private VaultReply sign(String name, String urlAlgorithm, VaultCall call) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("signing key not found");
        }
        byte[] input = base64Input(call);
        int requested = call.integer("key_version", 0);
        synchronized (k) {
            if (!k.asymmetric()) {
                throw VaultError.badRequest("key type " + k.type + " does not support signing");
            }
            SignParams sp = signParams(k, urlAlgorithm, call);
            int ver = requested;
            if (ver < 0) {
                throw VaultError.badRequest("requested version for signing is negative");
            } else if (ver == 0) {
                ver = k.latest;
            } else if (ver > k.latest) {
                throw VaultError.badRequest("requested version for signing is higher than the latest key version");
            } else if (k.minEncryption > 0 && ver < k.minEncryption) {
                throw VaultError.badRequest(
                        "requested version for signing is less than the minimum encryption key version");
            }
            Version v = k.versions.get(ver);
            if (v == null) {
                throw VaultError.badRequest("requested version for signing has been trimmed");
            }
            byte[] digest = digestOf(sp, input);
            byte[] sig;
            try {
                if (k.type.startsWith("ecdsa-")) {
                    Signature s = Signature.getInstance("NONEwithECDSA");
                    s.initSign(v.pair.getPrivate(), RANDOM);
                    s.update(digest);
                    sig = s.sign();
                    if (sp.marshaling.equals("jws")) {
                        sig = VaultCrypto.derToRaw(sig, fieldBytes(k));
                    }
                } else if (sp.sigAlgorithm.equals("pkcs1v15")) {
                    byte[] toSign = sp.digest == null ? digest
                            : VaultCrypto.digestInfo(sp.hash, digest);
                    Signature s = Signature.getInstance("NONEwithRSA");
                    s.initSign(v.pair.getPrivate());
                    s.update(toSign);
                    sig = s.sign();
                } else {
                    sig = VaultCrypto.pssSign((RSAPrivateKey) v.pair.getPrivate(), sp.digest, sp.hash, sp.saltLength,
                            digest);
                }
            } catch (GeneralSecurityException | IOException e) {
                throw VaultError.badRequest(e.getMessage());
            }
            String encoded = sp.marshaling.equals("jws") ? Base64.getUrlEncoder().withoutPadding().encodeToString(sig)
                    : Base64.getEncoder().encodeToString(sig);
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("key_version", ver);
            d.put("signature", "vault:v" + ver + ":" + encoded);
            return VaultReply.data(d);
        }
    }

    private VaultReply verify(String name, String urlAlgorithm, VaultCall call) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("signature verification key not found");
        }
        byte[] input = base64Input(call);
        String signature = call.string("signature", null);
        String hmac = call.string("hmac", null);
        if (signature == null && hmac == null) {
            throw VaultError.badRequest("neither a 'signature' nor an 'hmac' were given to verify");
        }
        if (signature != null && hmac != null) {
            throw VaultError.badRequest("provide one of 'signature' or 'hmac'");
        }
        synchronized (k) {
            if (hmac != null) {
                return verifyHmac(k, urlAlgorithm, call, input, hmac);
            }
            if (!k.asymmetric()) {
                throw VaultError.badRequest("key type " + k.type + " does not support verification");
            }
            SignParams sp = signParams(k, urlAlgorithm, call);
            Versioned parsed = parseVersioned(signature, "signature");
            if (parsed.version > k.latest) {
                throw VaultError.badRequest("invalid signature: version is too new");
            }
            if (parsed.version < k.minDecryption) {
                throw VaultError.badRequest("ciphertext or signature version is disallowed by policy (too old)");
            }
            Version v = k.versions.get(parsed.version);
            if (v == null) {
                throw VaultError.badRequest("ciphertext or signature version is disallowed by policy (too old)");
            }
            byte[] sig;
            try {
                sig = sp.marshaling.equals("jws") ? Base64.getUrlDecoder().decode(parsed.payload)
                        : Base64.getDecoder().decode(parsed.payload);
            } catch (IllegalArgumentException e) {
                throw VaultError.badRequest("invalid base64 signature value");
            }
            byte[] digest = digestOf(sp, input);
            boolean valid;
            try {
                if (k.type.startsWith("ecdsa-")) {
                    if (sp.marshaling.equals("jws")) {
                        sig = VaultCrypto.rawToDer(sig);
                    } else if (!VaultCrypto.isDerSequence(sig)) {
                        throw VaultError.badRequest("supplied signature is invalid");
                    }
                    Signature s = Signature.getInstance("NONEwithECDSA");
                    s.initVerify(v.pair.getPublic());
                    s.update(digest);
                    valid = safeVerify(s, sig);
                } else if (sp.sigAlgorithm.equals("pkcs1v15")) {
                    byte[] expected = sp.digest == null ? digest
                            : VaultCrypto.digestInfo(sp.hash, digest);
                    Signature s = Signature.getInstance("NONEwithRSA");
                    s.initVerify(v.pair.getPublic());
                    s.update(expected);
                    valid = safeVerify(s, sig);
                } else {
                    valid = VaultCrypto.pssVerify((RSAPublicKey) v.pair.getPublic(), sp.digest, sp.saltLength, digest,
                            sig);
                }
            } catch (GeneralSecurityException | IOException e) {
                throw VaultError.badRequest(e.getMessage());
            }
            return VaultReply.data(Map.of("valid", valid));
        }
    }

    private static boolean safeVerify(Signature s, byte[] sig) {
        try {
            return s.verify(sig);
        } catch (java.security.SignatureException e) {
            // A malformed signature is simply not valid, as Vault reports it.
            return false;
        }
    }

    private record Versioned(int version, String payload) {
    }

    private static Versioned parseVersioned(String value, String what) {
        if (!value.startsWith("vault:")) {
            throw VaultError.badRequest("invalid " + what + ": no prefix");
        }
        String rest = value.substring(6);
        int colon = rest.indexOf(':');
        if (colon < 2 || rest.charAt(0) != 'v') {
            throw VaultError.badRequest("invalid " + what + ": wrong number of fields");
        }
        try {
            return new Versioned(Integer.parseInt(rest.substring(1, colon)), rest.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw VaultError.badRequest("invalid " + what + ": version number could not be decoded");
        }
    }

    private static int fieldBytes(Key k) {
        return k.type.equals("ecdsa-p256") ? 32 : 48;
    }

    // ---- hmac ------------------------------------------------------------------------------

    private static String macName(String algorithm) {
        return switch (algorithm) {
            case "sha2-224" -> "HmacSHA224";
            case "sha2-256" -> "HmacSHA256";
            case "sha2-384" -> "HmacSHA384";
            case "sha2-512" -> "HmacSHA512";
            case "sha3-224" -> "HmacSHA3-224";
            case "sha3-256" -> "HmacSHA3-256";
            case "sha3-384" -> "HmacSHA3-384";
            case "sha3-512" -> "HmacSHA3-512";
            default -> throw VaultError.badRequest("unsupported algorithm " + algorithm);
        };
    }

    private static byte[] mac(Key k, Version v, String algorithm, byte[] input) {
        try {
            Mac mac = Mac.getInstance(macName(algorithm));
            // An hmac-type key's material is the HMAC key; other types carry a separate HMAC key per version.
            byte[] keyBytes = k.type.equals("hmac") ? v.secret : v.hmacKey;
            mac.init(new SecretKeySpec(keyBytes, "HMAC"));
            return mac.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String macAlgorithm(String urlAlgorithm, VaultCall call) {
        return urlAlgorithm != null && !urlAlgorithm.isEmpty() ? urlAlgorithm
                : call.string("algorithm", call.string("hash_algorithm", "sha2-256"));
    }

    private VaultReply hmac(String name, String urlAlgorithm, VaultCall call) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("encryption key not found");
        }
        String algorithm = macAlgorithm(urlAlgorithm, call);
        macName(algorithm);
        byte[] input = base64Input(call);
        int ver = call.integer("key_version", 0);
        synchronized (k) {
            if (ver < 0) {
                throw VaultError.badRequest("invalid key version");
            } else if (ver == 0) {
                ver = k.latest;
            } else if (ver > k.latest) {
                throw VaultError.badRequest("key version does not exist; latest key version is " + k.latest);
            } else if (k.minEncryption > 0 && ver < k.minEncryption) {
                throw VaultError.badRequest("cannot generate HMAC: version is too old (disallowed by policy)");
            }
            Version v = k.versions.get(ver);
            if (v == null) {
                throw VaultError.badRequest("cannot generate HMAC: version is too old (disallowed by policy)");
            }
            String out = "vault:v" + ver + ":" + Base64.getEncoder().encodeToString(mac(k, v, algorithm, input));
            return VaultReply.data(Map.of("hmac", out));
        }
    }

    private VaultReply verifyHmac(Key k, String urlAlgorithm, VaultCall call, byte[] input, String hmac) {
        String algorithm = macAlgorithm(urlAlgorithm, call);
        macName(algorithm);
        Versioned parsed = parseVersioned(hmac, "HMAC");
        if (parsed.version > k.latest) {
            throw VaultError.badRequest("invalid HMAC version");
        }
        if (parsed.version < k.minDecryption || !k.versions.containsKey(parsed.version)) {
            throw VaultError.badRequest("HMAC version is disallowed by policy (too old)");
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(parsed.payload);
        } catch (IllegalArgumentException e) {
            throw VaultError.badRequest("unable to decode HMAC as base64");
        }
        byte[] expected = mac(k, k.versions.get(parsed.version), algorithm, input);
        return VaultReply.data(Map.of("valid", MessageDigest.isEqual(expected, given)));
    }

    // ---- random, encryption, data keys -------------------------------------------------------

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private VaultReply random(String first, String second, VaultCall call) {
        // Vault accepts /random, /random/:bytes, /random/:source and /random/:source/:bytes.
        String bytesText = null;
        String source = call.string("source", "platform");
        if (first != null && !first.isEmpty()) {
            if (first.matches("\\d+")) {
                bytesText = first;
            } else {
                source = first;
                bytesText = second;
            }
        }
        if (!source.equals("platform") && !source.equals("seal") && !source.equals("all")) {
            throw VaultError.badRequest("unsupported entropy source \"" + source
                    + "\"; must be \"platform\" or \"seal\", or \"all\"");
        }
        int bytes;
        if (bytesText != null && !bytesText.isEmpty()) {
            try {
                bytes = Integer.parseInt(bytesText);
            } catch (NumberFormatException e) {
                throw VaultError.badRequest("error parsing url-set byte count: " + e.getMessage());
            }
        } else {
            bytes = call.integer("bytes", 32);
        }
        String format = call.string("format", "base64");
        if (bytes < 1) {
            throw VaultError.badRequest("missing bytes");
        }
        if (bytes > 128 * 1024) {
            throw VaultError.badRequest("bytes cannot be more than 131072");
        }
        byte[] b = randomBytes(bytes);
        String out = switch (format) {
            case "base64" -> Base64.getEncoder().encodeToString(b);
            case "hex" -> HexFormat.of().formatHex(b);
            default -> throw VaultError.badRequest("unsupported encoding format \"" + format
                    + "\"; must be \"hex\" or \"base64\"");
        };
        return VaultReply.data(Map.of("random_bytes", out));
    }

    private Version encryptionVersion(Key k, int requested) {
        if (!k.type.equals("aes256-gcm96")) {
            throw VaultError.badRequest("key type " + k.type + " does not support encryption");
        }
        int ver = requested == 0 ? k.latest : requested;
        if (ver > k.latest) {
            throw VaultError.badRequest("requested version for encryption is higher than the latest key version");
        }
        if (ver < 0 || (k.minEncryption > 0 && ver < k.minEncryption) || !k.versions.containsKey(ver)) {
            throw VaultError.badRequest(
                    "requested version for encryption is less than the minimum encryption key version");
        }
        return k.versions.get(ver);
    }

    private static String seal(Version v, byte[] plaintext) {
        try {
            byte[] nonce = randomBytes(12);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(v.secret, "AES"), new GCMParameterSpec(128, nonce));
            byte[] ct = c.doFinal(plaintext);
            byte[] out = new byte[12 + ct.length];
            System.arraycopy(nonce, 0, out, 0, 12);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return "vault:v" + v.number + ":" + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private VaultReply encrypt(String name, VaultCall call) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("encryption key not found");
        }
        byte[] plaintext = Base64.getDecoder().decode(call.string("plaintext", ""));
        synchronized (k) {
            Version v = encryptionVersion(k, call.integer("key_version", 0));
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("ciphertext", seal(v, plaintext));
            d.put("key_version", v.number);
            return VaultReply.data(d);
        }
    }

    private VaultReply decrypt(String name, VaultCall call) {
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("encryption key not found");
        }
        Versioned parsed = parseVersioned(call.requiredString("ciphertext"), "ciphertext");
        synchronized (k) {
            if (!k.type.equals("aes256-gcm96")) {
                throw VaultError.badRequest("key type " + k.type + " does not support decryption");
            }
            if (parsed.version > k.latest) {
                throw VaultError.badRequest("invalid ciphertext: version is too new");
            }
            if (parsed.version < k.minDecryption || !k.versions.containsKey(parsed.version)) {
                throw VaultError.badRequest("ciphertext or signature version is disallowed by policy (too old)");
            }
            try {
                byte[] raw = Base64.getDecoder().decode(parsed.payload);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(k.versions.get(parsed.version).secret, "AES"),
                        new GCMParameterSpec(128, raw, 0, 12));
                byte[] pt = c.doFinal(raw, 12, raw.length - 12);
                return VaultReply.data(Map.of("plaintext", Base64.getEncoder().encodeToString(pt)));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw VaultError.badRequest("cipher: message authentication failed");
            }
        }
    }

    private VaultReply datakey(String plaintextOrWrapped, String name, VaultCall call) {
        if (!plaintextOrWrapped.equals("plaintext") && !plaintextOrWrapped.equals("wrapped")) {
            throw VaultError.badRequest("Invalid path");
        }
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.badRequest("encryption key not found");
        }
        int bits = call.integer("bits", 256);
        if (bits != 128 && bits != 256 && bits != 512) {
            throw VaultError.badRequest("invalid bit length");
        }
        byte[] dataKey = randomBytes(bits / 8);
        synchronized (k) {
            Version v = encryptionVersion(k, call.integer("key_version", 0));
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("ciphertext", seal(v, dataKey));
            d.put("key_version", v.number);
            if (plaintextOrWrapped.equals("plaintext")) {
                d.put("plaintext", Base64.getEncoder().encodeToString(dataKey));
            }
            return VaultReply.data(d);
        }
    }

    // ---- export ----------------------------------------------------------------------------

    private VaultReply export(String exportType, String name, String version) {
        if (!List.of("encryption-key", "signing-key", "hmac-key", "public-key").contains(exportType)) {
            throw VaultError.badRequest("invalid export type: " + exportType);
        }
        Key k = keys.get(name);
        if (k == null) {
            throw VaultError.notFound();
        }
        synchronized (k) {
            if (!exportType.equals("public-key") && !k.exportable) {
                throw VaultError.badRequest("private key material is not exportable");
            }
            switch (exportType) {
                case "encryption-key" -> {
                    if (!k.type.equals("aes256-gcm96") && !k.type.startsWith("rsa-")) {
                        throw VaultError.badRequest("encryption not supported for the key");
                    }
                }
                case "signing-key", "public-key" -> {
                    if (!k.asymmetric()) {
                        throw VaultError.badRequest("signing not supported for the key");
                    }
                }
                default -> {
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            if (version == null || version.isEmpty()) {
                for (Version v : k.versions.values()) {
                    out.put(Integer.toString(v.number), exported(k, v, exportType));
                }
            } else {
                int n;
                try {
                    n = version.equals("latest") ? k.latest
                            : Integer.parseInt(version.startsWith("v") ? version.substring(1) : version);
                } catch (NumberFormatException e) {
                    throw VaultError.badRequest("invalid key version");
                }
                Version v = k.versions.get(n);
                if (n < k.minDecryption) {
                    throw VaultError.badRequest("version for export is below minimum decryption version");
                }
                if (v == null) {
                    throw VaultError.badRequest("version does not exist or cannot be found");
                }
                out.put(Integer.toString(n), exported(k, v, exportType));
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("name", k.name);
            d.put("type", k.type);
            d.put("keys", out);
            return VaultReply.data(d);
        }
    }

    private static String exported(Key k, Version v, String exportType) {
        try {
            switch (exportType) {
                case "hmac-key" -> {
                    return Base64.getEncoder().encodeToString(k.type.equals("hmac") ? v.secret : v.hmacKey);
                }
                case "public-key" -> {
                    // Vault trims the EC forms but not the RSA ones.
                    String pem = VaultCrypto.pem("PUBLIC KEY", v.pair.getPublic().getEncoded());
                    return k.type.startsWith("ecdsa-") ? pem.strip() : pem;
                }
                case "encryption-key" -> {
                    if (k.type.equals("aes256-gcm96")) {
                        return Base64.getEncoder().encodeToString(v.secret);
                    }
                    return VaultCrypto.rsaPrivatePem(v.pair);
                }
                default -> {
                    if (k.type.startsWith("rsa-")) {
                        return VaultCrypto.rsaPrivatePem(v.pair);
                    }
                    return VaultCrypto.ecPrivatePem(v.pair);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
