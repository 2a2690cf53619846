package dev.rotakey.usage;

import com.google.common.net.InetAddresses;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The network a use came from, as telemetry keeps it: an IPv4 address's /24 ({@code 10.1.2.0/24}), an IPv6 address's
 * /64 ({@code 2001:db8:1:2::/64}), an IPv4-mapped IPv6 address as its IPv4 /24. Addresses are parsed as literals only
 * (a hand-written IPv4 parser, Guava's for IPv6): a name is never resolved, and anything else is {@link #UNKNOWN}.
 */
public final class SourceNetworks {
    /** The network of a missing or unparseable address. */
    public static final String UNKNOWN = "unknown";
    /** The longest literal kept as a last source (the column's width). */
    static final int MAX_LITERAL = 64;

    private SourceNetworks() {
    }

    /** The /24 or /64 of {@code address}, or {@link #UNKNOWN}. */
    public static String network(String address) {
        if (address == null || address.isEmpty() || address.length() > 100) {
            return UNKNOWN;
        }
        int v4 = ipv4(address, 0, address.length());
        if (v4 != -1 || address.indexOf(':') < 0) {
            // The common case, with no allocation but the answer; -1 is also 255.255.255.255, hence the recheck.
            return v4 != -1 || "255.255.255.255".equals(address) ? v4Network(v4) : UNKNOWN;
        }
        InetAddress parsed = ipv6(address);
        if (parsed == null) {
            return UNKNOWN;
        }
        byte[] b = parsed.getAddress();
        if (parsed instanceof Inet4Address) {
            return v4Network(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8));
        }
        byte[] prefix = new byte[16];
        System.arraycopy(b, 0, prefix, 0, 8);
        try {
            return InetAddresses.toAddrString(InetAddress.getByAddress(prefix)) + "/64";
        } catch (java.net.UnknownHostException e) {
            return UNKNOWN; // 16 bytes are always an address
        }
    }

    /** The address as a last source: the literal (without an IPv6 zone), or {@link #UNKNOWN} if it is none. */
    public static String literal(String address) {
        if (UNKNOWN.equals(network(address))) {
            return UNKNOWN;
        }
        int zone = address.indexOf('%');
        String s = zone < 0 ? address : address.substring(0, zone);
        return s.length() > MAX_LITERAL ? s.substring(0, MAX_LITERAL) : s;
    }

    private static String v4Network(int a) {
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + ".0/24";
    }

    /** The IPv4 literal {@code s[from, to)} as an int, or -1 when it is not four decimal octets. */
    static int ipv4(String s, int from, int to) {
        int value = 0;
        int octets = 0;
        int octet = -1;
        int digits = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                // A leading zero is refused, as Guava does: 010 is octal to some parsers and decimal to others.
                if (digits == 3 || (digits == 1 && octet == 0)) {
                    return -1;
                }
                octet = (octet < 0 ? 0 : octet * 10) + (c - '0');
                digits++;
                if (octet > 255) {
                    return -1;
                }
            } else if (c == '.' && digits > 0 && octets < 3) {
                value = (value << 8) | octet;
                octets++;
                octet = -1;
                digits = 0;
            } else {
                return -1;
            }
        }
        if (octets != 3 || digits == 0) {
            return -1;
        }
        return (value << 8) | octet;
    }

    private static InetAddress ipv6(String address) {
        String s = address;
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        int zone = s.indexOf('%');
        if (zone >= 0) {
            s = s.substring(0, zone);
        }
        // Guava parses literals only: it never looks a name up, unlike InetAddress.getByName.
        return InetAddresses.isInetAddress(s) ? InetAddresses.forString(s) : null;
    }
}
