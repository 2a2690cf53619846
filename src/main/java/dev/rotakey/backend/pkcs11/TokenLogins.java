package dev.rotakey.backend.pkcs11;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the backends of this JVM logged in to each token. PKCS#11 login state belongs to the
 * process, not to a provider or session: one backend logging out would log out every other
 * backend on the same token, so only the last one to close does.
 */
final class TokenLogins {
    private static final Map<String, Object> LOCKS = new ConcurrentHashMap<>();
    private static final Map<String, Integer> COUNTS = new HashMap<>();

    private TokenLogins() {
    }

    /** Identifies a token within this JVM: slot ids are stable for as long as the module is initialised. */
    static String tokenKey(String library, long slotId) {
        return library + "#" + slotId;
    }

    /**
     * The lock to hold while logging in and counting, while logging out, and while creating
     * token objects (so two backends of this JVM never create the same key twice).
     */
    static Object lock(String tokenKey) {
        return LOCKS.computeIfAbsent(tokenKey, k -> new Object());
    }

    static void acquired(String tokenKey) {
        synchronized (COUNTS) {
            COUNTS.merge(tokenKey, 1, Integer::sum);
        }
    }

    /** Returns whether the caller was the last backend on the token and must log out. */
    static boolean released(String tokenKey) {
        synchronized (COUNTS) {
            Integer n = COUNTS.get(tokenKey);
            if (n == null || n <= 1) {
                COUNTS.remove(tokenKey);
                return n != null;
            }
            COUNTS.put(tokenKey, n - 1);
            return false;
        }
    }
}
