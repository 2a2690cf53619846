package dev.rotakey.testing;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.DigestInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * The byte-level forms Vault's transit engine produces and accepts, matched to Go's crypto packages: RSASSA-PSS
 * with Go's salt rules, PKCS#1 DigestInfo, ECDSA signature encodings and the PEM forms of exported keys.
 */
final class VaultCrypto {
    private VaultCrypto() {
    }

    /** The PKCS#1 v1.5 DigestInfo that Go's rsa.SignPKCS1v15 puts around a digest. */
    static byte[] digestInfo(String vaultHash, byte[] digest) throws IOException {
        return new DigestInfo(new AlgorithmIdentifier(digestOid(vaultHash), DERNull.INSTANCE), digest).getEncoded();
    }

    private static ASN1ObjectIdentifier digestOid(String vaultHash) {
        return switch (vaultHash) {
            case "sha1" -> new ASN1ObjectIdentifier("1.3.14.3.2.26");
            case "sha2-224" -> NISTObjectIdentifiers.id_sha224;
            case "sha2-256" -> NISTObjectIdentifiers.id_sha256;
            case "sha2-384" -> NISTObjectIdentifiers.id_sha384;
            case "sha2-512" -> NISTObjectIdentifiers.id_sha512;
            case "sha3-224" -> NISTObjectIdentifiers.id_sha3_224;
            case "sha3-256" -> NISTObjectIdentifiers.id_sha3_256;
            case "sha3-384" -> NISTObjectIdentifiers.id_sha3_384;
            default -> NISTObjectIdentifiers.id_sha3_512;
        };
    }

    /** Whether the bytes are a DER SEQUENCE of two INTEGERs, the only ECDSA-Sig-Value Go accepts. */
    static boolean isDerSequence(byte[] sig) {
        try {
            ASN1Sequence seq = ASN1Sequence.getInstance(sig);
            return seq.size() == 2 && seq.getObjectAt(0) instanceof ASN1Integer
                    && seq.getObjectAt(1) instanceof ASN1Integer;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** ECDSA-Sig-Value to JWS r||s, each left-padded to the field size. */
    static byte[] derToRaw(byte[] der, int size) {
        ASN1Sequence seq = ASN1Sequence.getInstance(der);
        byte[] out = new byte[2 * size];
        copyUnsigned(ASN1Integer.getInstance(seq.getObjectAt(0)).getValue(), out, 0, size);
        copyUnsigned(ASN1Integer.getInstance(seq.getObjectAt(1)).getValue(), out, size, size);
        return out;
    }

    private static void copyUnsigned(BigInteger v, byte[] out, int offset, int size) {
        byte[] b = v.toByteArray();
        int start = b.length > size ? b.length - size : 0;
        int len = b.length - start;
        System.arraycopy(b, start, out, offset + size - len, len);
    }

    /** JWS r||s back to DER; Go splits an odd-sized input in half just the same. */
    static byte[] rawToDer(byte[] raw) throws IOException {
        int size = raw.length / 2;
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(raw, 0, size));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(raw, size, raw.length));
        return new DERSequence(new ASN1Encodable[] {new ASN1Integer(r), new ASN1Integer(s)}).getEncoded();
    }

    // RSASSA-PSS is done by hand (EMSA-PSS, RFC 8017 section 9.1) because Vault signs prehashed digests and
    // verifies with salt length "auto", neither of which the JDK's RSASSA-PSS Signature offers.

    private static int saltLength(String spec, int emLen, int hLen) {
        return switch (spec) {
            case "auto" -> emLen - hLen - 2;
            case "hash" -> hLen;
            default -> {
                try {
                    int n = Integer.parseInt(spec);
                    if (n < 0 || n > emLen - hLen - 2) {
                        throw VaultError.badRequest("requested salt length " + n + " is invalid");
                    }
                    yield n;
                } catch (NumberFormatException e) {
                    throw VaultError.badRequest("salt length must be \"auto\", \"hash\", or an integer");
                }
            }
        };
    }

    /** EMSA-PSS encoding with MGF1 over the same digest, then the raw RSA private-key operation. */
    static byte[] pssSign(RSAPrivateKey key, String digest, String hashName, String saltSpec, byte[] mHash)
            throws GeneralSecurityException {
        MessageDigest md = MessageDigest.getInstance(digest);
        int hLen = md.getDigestLength();
        if (mHash.length != hLen) {
            throw VaultError.badRequest("input digest length does not match hash algorithm " + hashName);
        }
        int modBits = key.getModulus().bitLength();
        int emBits = modBits - 1;
        int emLen = (emBits + 7) / 8;
        int sLen = saltLength(saltSpec, emLen, hLen);
        byte[] salt = VaultTransit.randomBytes(sLen);
        md.update(new byte[8]);
        md.update(mHash);
        byte[] h = md.digest(salt);
        byte[] db = new byte[emLen - hLen - 1];
        db[db.length - sLen - 1] = 1;
        System.arraycopy(salt, 0, db, db.length - sLen, sLen);
        byte[] mask = mgf1(digest, h, db.length);
        for (int i = 0; i < db.length; i++) {
            db[i] ^= mask[i];
        }
        db[0] &= (byte) (0xFF >>> (8 * emLen - emBits));
        byte[] em = new byte[emLen];
        System.arraycopy(db, 0, em, 0, db.length);
        System.arraycopy(h, 0, em, db.length, hLen);
        em[emLen - 1] = (byte) 0xBC;
        Cipher raw = Cipher.getInstance("RSA/ECB/NoPadding");
        raw.init(Cipher.ENCRYPT_MODE, key);
        int k = (modBits + 7) / 8;
        byte[] padded = new byte[k];
        System.arraycopy(em, 0, padded, k - emLen, emLen);
        return raw.doFinal(padded);
    }

    /** Verifies like Go's rsa.VerifyPSS: with "auto" the salt length is read from the signature. */
    static boolean pssVerify(RSAPublicKey key, String digest, String saltSpec, byte[] mHash, byte[] sig)
            throws GeneralSecurityException {
        MessageDigest md = MessageDigest.getInstance(digest);
        int hLen = md.getDigestLength();
        int modBits = key.getModulus().bitLength();
        int k = (modBits + 7) / 8;
        int emBits = modBits - 1;
        int emLen = (emBits + 7) / 8;
        if (sig.length != k || mHash.length != hLen) {
            return false;
        }
        BigInteger s = new BigInteger(1, sig);
        if (s.compareTo(key.getModulus()) >= 0) {
            return false;
        }
        byte[] m = s.modPow(key.getPublicExponent(), key.getModulus()).toByteArray();
        byte[] em = new byte[emLen];
        int copy = Math.min(m.length, emLen);
        if (m.length > emLen && new BigInteger(1, Arrays.copyOfRange(m, 0, m.length - emLen)).signum() != 0) {
            return false;
        }
        System.arraycopy(m, m.length - copy, em, emLen - copy, copy);
        if (em[emLen - 1] != (byte) 0xBC) {
            return false;
        }
        byte[] db = Arrays.copyOfRange(em, 0, emLen - hLen - 1);
        byte[] h = Arrays.copyOfRange(em, emLen - hLen - 1, emLen - 1);
        int topMask = 0xFF >>> (8 * emLen - emBits);
        if ((db[0] & ~topMask & 0xFF) != 0) {
            return false;
        }
        byte[] mask = mgf1(digest, h, db.length);
        for (int i = 0; i < db.length; i++) {
            db[i] ^= mask[i];
        }
        db[0] &= (byte) topMask;
        int i = 0;
        while (i < db.length && db[i] == 0) {
            i++;
        }
        if (i == db.length || db[i] != 1) {
            return false;
        }
        byte[] salt = Arrays.copyOfRange(db, i + 1, db.length);
        if (!saltSpec.equals("auto") && salt.length != saltLength(saltSpec, emLen, hLen)) {
            return false;
        }
        md.update(new byte[8]);
        md.update(mHash);
        return MessageDigest.isEqual(md.digest(salt), h);
    }

    private static byte[] mgf1(String digest, byte[] seed, int len) throws GeneralSecurityException {
        MessageDigest md = MessageDigest.getInstance(digest);
        byte[] out = new byte[len];
        int pos = 0;
        for (int counter = 0; pos < len; counter++) {
            md.update(seed);
            md.update(new byte[] {(byte) (counter >>> 24), (byte) (counter >>> 16), (byte) (counter >>> 8),
                    (byte) counter});
            byte[] block = md.digest();
            int n = Math.min(block.length, len - pos);
            System.arraycopy(block, 0, out, pos, n);
            pos += n;
        }
        return out;
    }

    /** PKCS#1 "RSA PRIVATE KEY", what Go's x509.MarshalPKCS1PrivateKey gives Vault. */
    static String rsaPrivatePem(KeyPair pair) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pair.getPrivate().getEncoded());
        return pem("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded());
    }

    /** SEC 1 "EC PRIVATE KEY" with curve parameters and public key, what Go's x509.MarshalECPrivateKey gives Vault. */
    static String ecPrivatePem(KeyPair pair) throws IOException {
        ECPrivateKey priv = (ECPrivateKey) pair.getPrivate();
        ECPublicKey pub = (ECPublicKey) pair.getPublic();
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(pub.getEncoded());
        ASN1Encodable curve = spki.getAlgorithm().getParameters();
        int orderBits = priv.getParams().getOrder().bitLength();
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(orderBits,
                priv.getS(), new DERBitString(spki.getPublicKeyData().getBytes()), curve);
        return pem("EC PRIVATE KEY", sec1.getEncoded()).strip();
    }

    /** PEM as Go's pem.EncodeToMemory writes it: 64-column lines and a final newline. */
    static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }
}
