package dev.rotakey.backend.pkcs11;

import java.nio.charset.StandardCharsets;

/**
 * Percent-encoding of PKCS#11 URI path attribute values (RFC 7512, section 2.3): unreserved
 * characters and the few path characters the RFC allows stay as they are, everything else,
 * including ';' and '/', becomes %XX of its UTF-8 bytes.
 */
final class Pkcs11Uri {
    private Pkcs11Uri() {
    }

    static String encode(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~:[]@!$'()*+,=&".indexOf(c) >= 0)) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
