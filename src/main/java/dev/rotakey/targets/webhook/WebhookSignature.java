package dev.rotakey.targets.webhook;

import dev.rotakey.config.SecretSource;
import dev.rotakey.config.SecretUnavailableException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How Rotakey signs what it POSTs to webhooks (the webhook target's credential events and the
 * webhook alert sink's notifications): the header names and {@code v1=} HMAC-SHA256 over
 * {@code timestamp + "." + body}, and the constant-time check a receiver makes.
 */
public final class WebhookSignature {
    public static final String TIMESTAMP_HEADER = "Rotakey-Timestamp";
    public static final String SIGNATURE_HEADER = "Rotakey-Signature";
    public static final String EVENT_ID_HEADER = "Rotakey-Event-Id";

    private static final String VERSION_PREFIX = "v1=";

    /** Shorter keys than the HMAC-SHA256 output would make guessing the key easier than forging a MAC. */
    public static final int MIN_KEY_BYTES = 32;

    private WebhookSignature() {
    }

    /**
     * Reads a signing key from {@code source} as UTF-8 bytes, clearing the intermediate buffers;
     * refuses one shorter than {@link #MIN_KEY_BYTES}, naming {@code configKey}.
     */
    public static byte[] readKey(SecretSource source, String configKey) {
        char[] chars = source.read(configKey);
        byte[] bytes;
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
            bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            if (encoded.hasArray()) {
                Arrays.fill(encoded.array(), (byte) 0);
            }
        } finally {
            Arrays.fill(chars, '\0');
        }
        if (bytes.length < MIN_KEY_BYTES) {
            Arrays.fill(bytes, (byte) 0);
            throw new SecretUnavailableException(configKey + ": must be at least " + MIN_KEY_BYTES
                    + " bytes (e.g. openssl rand -hex 32)");
        }
        return bytes;
    }

    /** The {@code Rotakey-Signature} value: {@code v1=} and the hex HMAC-SHA256 of {@code timestamp + "." + body}. */
    public static String sign(byte[] key, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            return VERSION_PREFIX + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The headers that sign {@code body} at {@code timestamp} and name it {@code eventId}, in that order. */
    public static Map<String, String> headers(byte[] key, long timestamp, byte[] body, String eventId) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(TIMESTAMP_HEADER, Long.toString(timestamp));
        headers.put(SIGNATURE_HEADER, sign(key, timestamp, body));
        headers.put(EVENT_ID_HEADER, eventId);
        return headers;
    }

    /**
     * Whether {@code signature} is the signature of {@code body} at {@code timestamp}, compared in
     * constant time so that a forger learns nothing from how long a refusal takes. The receiver
     * still has to check that the timestamp is recent.
     */
    public static boolean matches(byte[] key, long timestamp, byte[] body, String signature) {
        if (signature == null || !signature.startsWith(VERSION_PREFIX)) {
            return false;
        }
        return MessageDigest.isEqual(sign(key, timestamp, body).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }
}
