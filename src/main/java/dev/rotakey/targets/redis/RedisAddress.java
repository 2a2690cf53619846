package dev.rotakey.targets.redis;

/**
 * Where one Redis server or Sentinel listens: a host name or IP address and a port, written {@code host:port}
 * ({@code [::1]:6379} for an IPv6 literal) in the configuration and in messages.
 */
record RedisAddress(String host, int port) {
    RedisAddress {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
        }
    }

    /**
     * Reads {@code host:port}, {@code [v6]:port}, or a bare host (or bracketed IPv6 literal) that takes
     * {@code defaultPort}.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code text}
     */
    static RedisAddress parse(String text, int defaultPort) {
        String s = text == null ? "" : text.trim();
        String host;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + s + "' opens an IPv6 literal with [ but does not close it");
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("'" + s + "' is not host:port");
                }
                port = rest.substring(1);
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && s.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + s + "': write an IPv6 address in brackets, [" + s + "]:port");
            }
            host = colon < 0 ? s : s.substring(0, colon);
            port = colon < 0 ? null : s.substring(colon + 1);
        }
        if (host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
            throw new IllegalArgumentException("'" + s + "' does not name a host");
        }
        if (port == null) {
            return new RedisAddress(host, defaultPort);
        }
        try {
            return new RedisAddress(host, Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' has no port number after the colon");
        }
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
