package dev.rotakey.api;

import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.target.TargetBinding;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A credential with its versions and latest rotation, as the API shows it. */
public record CredentialView(
        String id,
        String agent,
        String type,
        String backend,
        Map<String, String> rotation,
        String gracePeriod,
        List<Map<String, String>> targets,
        String status,
        Instant nextRotationAt,
        Instant createdAt,
        Integer currentVersion,
        List<VersionView> versions,
        RotationView lastRotation) {

    public static CredentialView of(Credential c, List<CredentialVersion> versions, RotationView lastRotation) {
        Map<String, String> rotation = new LinkedHashMap<>();
        if (c.policy().every() != null) {
            rotation.put("every", IsoDurations.format(c.policy().every()));
        } else {
            rotation.put("cron", c.policy().cron());
        }
        List<Map<String, String>> targets = new ArrayList<>();
        for (TargetBinding b : c.bindings()) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("target", b.target());
            m.putAll(b.params());
            targets.add(m);
        }
        Integer current = versions.stream().filter(v -> v.state() == dev.rotakey.core.VersionState.CURRENT)
                .map(CredentialVersion::version).findFirst().orElse(null);
        return new CredentialView(c.id(), c.agentId(), c.type().wireName(), c.backend(), rotation,
                IsoDurations.format(c.gracePeriod()), targets, c.status().name().toLowerCase(Locale.ROOT), c.nextRotationAt(),
                c.createdAt(), current, versions.stream().map(VersionView::of).toList(), lastRotation);
    }
}
