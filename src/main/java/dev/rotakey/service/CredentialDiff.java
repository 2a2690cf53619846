package dev.rotakey.service;

import dev.rotakey.core.Credential;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.targets.TargetBinding;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a change does to a credential, worked out from the credential before and the validated one after: which
 * fields changed, which bindings are kept, added and removed, and whether the change needs new material (a version
 * that only a rotation can make).
 *
 * @param bindings     the bindings as stored after the change: the kept ones in their place, then the added ones
 * @param keptFrom     for each kept binding (in {@code bindings} order), its index before the change
 * @param removedFrom  the indexes before the change of the removed bindings, ascending
 * @param materialReason why new material is needed, or null when the current version serves the new state
 */
public record CredentialDiff(List<String> changes, List<TargetBinding> bindings, List<Integer> keptFrom,
                             List<TargetBinding> added, List<TargetBinding> removed, List<Integer> removedFrom,
                             String materialReason) {

    public static CredentialDiff of(Credential before, Credential after) {
        List<String> changes = new ArrayList<>();
        if (!before.policy().equals(after.policy())) {
            changes.add("rotation");
        }
        if (!before.gracePeriod().equals(after.gracePeriod())) {
            changes.add("gracePeriod");
        }
        if (before.revokeWhen() != after.revokeWhen()) {
            changes.add("revokeWhen");
        }
        var ba = before.acknowledgements();
        var aa = after.acknowledgements();
        if (!Objects.equals(ba == null ? null : ba.consumers(), aa == null ? null : aa.consumers())) {
            changes.add("consumers");
        }
        if (!Objects.equals(ba == null ? null : ba.maxGracePeriod(), aa == null ? null : aa.maxGracePeriod())) {
            changes.add("maxGracePeriod");
        }
        if (!before.scopes().equals(after.scopes())) {
            changes.add("scopes");
        }
        List<TargetBinding> bindings = new ArrayList<>();
        List<Integer> keptFrom = new ArrayList<>();
        List<TargetBinding> removed = new ArrayList<>();
        List<Integer> removedFrom = new ArrayList<>();
        for (int i = 0; i < before.bindings().size(); i++) {
            TargetBinding b = before.bindings().get(i);
            if (after.bindings().contains(b)) {
                bindings.add(b);
                keptFrom.add(i);
            } else {
                removed.add(b);
                removedFrom.add(i);
            }
        }
        List<TargetBinding> added = after.bindings().stream().filter(b -> !before.bindings().contains(b)).toList();
        bindings.addAll(added);
        if (!added.isEmpty() || !removed.isEmpty()) {
            changes.add("targets");
        }
        List<String> material = new ArrayList<>();
        if (!added.isEmpty()) {
            material.add("target(s) added: the current secret is not kept, so only a new version can reach them");
        }
        PasswordPolicy bp = before.password();
        PasswordPolicy ap = after.password();
        if (bp != null && ap != null) {
            if (bp.length() != ap.length()) {
                changes.add("length");
            }
            if (!bp.alphabet().equals(ap.alphabet())) {
                changes.add("alphabet");
            }
            if (!bp.equals(ap)) {
                material.add("the password policy changed: the current password was made under the old one");
            }
        }
        CertificateProfile bc = before.certificate();
        CertificateProfile ac = after.certificate();
        if (bc != null && ac != null) {
            if (!bc.validity().equals(ac.validity())) {
                changes.add("validity");
            }
            if (!bc.dnsNames().equals(ac.dnsNames())) {
                changes.add("dnsNames");
            }
            if (!bc.uris().equals(ac.uris())) {
                changes.add("uris");
            }
            if (!bc.validity().equals(ac.validity()) || !bc.dnsNames().equals(ac.dnsNames())
                    || !bc.uris().equals(ac.uris())) {
                material.add("the certificate profile changed: only a new certificate carries it");
            }
        }
        return new CredentialDiff(List.copyOf(changes), List.copyOf(bindings), List.copyOf(keptFrom), added,
                List.copyOf(removed), List.copyOf(removedFrom), material.isEmpty() ? null : String.join("; ", material));
    }

    public boolean needsNewMaterial() {
        return materialReason != null;
    }

    /** Whether the bindings change: their records are renumbered and removed bindings cleaned up. */
    public boolean bindingsChange() {
        return !added.isEmpty() || !removed.isEmpty();
    }
}
