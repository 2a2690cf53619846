package dev.rotakey.faults;

import dev.rotakey.testing.SoftHsmTokens;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * I5 for certificate keys kept in the HSM: lists the SoftHSM2 token's private keys with pkcs11-tool (another
 * process, seeing the token files as they are) and compares the leaf keys of each credential with its versions.
 */
final class HsmObjects {
    private static final Pattern ID = Pattern.compile("(?m)^\\s+ID:\\s+([0-9a-f]+)\\s*$");

    private HsmObjects() {
    }

    /** What is wrong, or null: a key of a FAILED/REVOKED version still in the token, or a live version's key missing. */
    static String check(Collection<ModelCredential> creds, Consumer<ModelCredential> refresh) {
        if (creds.stream().noneMatch(m -> m.kind.hsmKey())) {
            return null;
        }
        // Versions only move from live to dead: dead before the listing means its key must be gone, live after
        // the listing means its key must be there. A grace period ending meanwhile is neither.
        Map<String, Map<Integer, String>> before = new HashMap<>();
        for (ModelCredential m : creds) {
            refresh.accept(m);
            before.put(m.id(), Map.copyOf(m.states));
        }
        String listing;
        try (var t = Timings.start("pkcs11-tool listing")) {
            listing = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.APP, "--login", "--pin",
                    SoftHsmTokens.USER_PIN, "--list-objects", "--type", "privkey");
        }
        List<String> aliases = new ArrayList<>();
        for (String object : SoftHsmTokens.objects(listing)) {
            Matcher m = ID.matcher(object);
            if (object.startsWith("Private Key Object") && m.find()) {
                aliases.add(new String(HexFormat.of().parseHex(m.group(1)), StandardCharsets.UTF_8));
            }
        }
        List<String> wrong = new ArrayList<>();
        for (ModelCredential m : creds) {
            if (!m.kind.hsmKey()) {
                continue;
            }
            refresh.accept(m);
            Map<Integer, String> earlier = before.get(m.id());
            Set<Integer> inToken = new TreeSet<>();
            String prefix = "rotakey-leaf-" + m.id() + "-";
            for (String a : aliases) {
                if (a.startsWith(prefix)) {
                    inToken.add(Integer.parseInt(a.substring(prefix.length()).split("-")[0]));
                }
            }
            m.states.forEach((v, state) -> {
                if (live(state) && !inToken.contains(v)) {
                    wrong.add(m.id() + " v" + v + " " + state + ": its key is missing from the token");
                }
                String was = earlier.get(v);
                if (was != null && !live(was) && inToken.contains(v)) {
                    wrong.add(m.id() + " v" + v + " " + was + ": its key is still in the token");
                }
            });
            inToken.stream().filter(v -> !m.states.containsKey(v))
                    .forEach(v -> wrong.add(m.id() + ": a key for v" + v + ", which Rotakey has no record of, is in the token"));
        }
        return wrong.isEmpty() ? null : String.join("; ", wrong);
    }

    /**
     * Deletes the leaf keys (and their certificate objects) the fault model's credentials left in the shared token,
     * so that later tests do not pay for them in every object scan.
     */
    static void deleteLeafKeys(Pattern aliases) {
        String listing = SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.APP, "--login", "--pin",
                SoftHsmTokens.USER_PIN, "--list-objects");
        Set<String> ids = new TreeSet<>();
        for (String object : SoftHsmTokens.objects(listing)) {
            Matcher m = ID.matcher(object);
            if (m.find() && aliases.matcher(new String(HexFormat.of().parseHex(m.group(1)), StandardCharsets.UTF_8)).matches()) {
                ids.add(m.group(1));
            }
        }
        for (String id : ids) {
            for (String type : List.of("privkey", "pubkey", "cert")) {
                try {
                    SoftHsmTokens.pkcs11Tool("--token-label", SoftHsmTokens.APP, "--login", "--pin", SoftHsmTokens.USER_PIN,
                            "--delete-object", "--type", type, "--id", id);
                } catch (IllegalStateException e) {
                    // no object of this type under that id: nothing to delete
                }
            }
        }
    }

    private static boolean live(String state) {
        return state.equals("CURRENT") || state.equals("PREVIOUS") || state.equals("PENDING");
    }
}
