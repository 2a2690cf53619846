package dev.rotakey.ca;

import java.math.BigInteger;
import java.security.SecureRandom;

/** The serial numbers the CAs put in the certificates they sign, and their text form in the database and the API. */
final class CertificateSerials {
    private CertificateSerials() {
    }

    /**
     * 64 random bits (the CA/Browser Forum minimum of entropy) under a set 65th bit, so the serial is
     * positive, always 65 bits long, and far inside RFC 5280's 20-octet limit.
     */
    static BigInteger next(SecureRandom random) {
        return new BigInteger(64, random).setBit(64);
    }

    /** Lower-case hex without leading zeros, as the ledger stores serials and the API shows them. */
    static String hex(BigInteger serial) {
        return serial.toString(16);
    }
}
