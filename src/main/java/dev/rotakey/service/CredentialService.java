package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.config.RotationFactory;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.CertificateSummary;
import dev.rotakey.core.KeyCustody;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialScopes;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.RevokeWhen;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.db.Store;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.BindingUse;
import dev.rotakey.targets.Login;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Creates credentials (validating every field before anything is generated) and issues their
 * first version at once, or imports an existing secret as version 1 ({@link CredentialImport}); lists and shows them.
 */
public final class CredentialService {
    private static final int MAX_TARGETS = 16;

    private final Store store;
    private final KeyBackends backends;
    private final Targets targets;
    private final RotationService rotations;
    private final AuditLog audit;
    private final RotationFactory defaults;
    private final Clock clock;
    private final CertificateProfiles profiles;
    private final CertificateAuthorities authorities;
    private final BindingRecords records;
    private final BindingClaims claims;
    private final ScheduleCalculator schedule;
    private final CredentialImport imports;
    private final CredentialChanges changes;

    public CredentialService(Store store, KeyBackends backends, Targets targets, RotationService rotations,
                             AuditLog audit, RotationFactory defaults, Clock clock, CertificateAuthorities authorities) {
        this.profiles = new CertificateProfiles(authorities);
        this.authorities = authorities;
        this.store = store;
        this.backends = backends;
        this.targets = targets;
        this.rotations = rotations;
        this.audit = audit;
        this.defaults = defaults;
        this.clock = clock;
        this.records = new BindingRecords(store, targets);
        this.claims = new BindingClaims(targets);
        this.schedule = ScheduleCalculator.from(defaults);
        this.imports = new CredentialImport(store, backends, targets, audit, claims, records, schedule, clock);
        this.changes = new CredentialChanges(this, store, targets, backends, rotations, audit, schedule, claims, clock);
    }

    /** Changes credentials in place ({@code PATCH /api/v1/credentials/{id}}). */
    public CredentialChanges changes() {
        return changes;
    }

    /** What creating a credential gives: the credential and the rotation that issued version 1 (null for an import). */
    public record Created(Credential credential, Rotation rotation) {
    }

    public Created create(NewCredential req, String actor) {
        if (req != null && req.imported() != null) {
            CredentialImport.checkRequest(req, CredentialType.fromWire(req.type() == null ? "api-key" : req.type())
                    .orElse(CredentialType.API_KEY));
            Credential imported = imports.create(validate(req), req.imported().secret(), actor);
            if (imported.nextRotationAt() != null) {
                rotations.scheduler().rotateEventually(imported.id(), imported.nextRotationAt());
            }
            return new Created(imported, null);
        }
        Credential c = validate(req);
        List<BindingClaims.Claim> wanted = claims.of(c.bindings());
        BackendStatus status = backends.get(c.backend()).status();
        if (!status.healthy()) {
            // Refuse before anything is stored: a credential without its first version helps nobody.
            throw new KeyBackendUnavailableException("key backend '" + c.backend() + "' is unavailable: " + status.message());
        }
        store.txRun(tx -> {
            NewCredentialRows.insert(tx, c, claims, wanted);
            audit.record(tx, actor, AuditAction.CREDENTIAL_CREATED, AuditSubject.credential(c.id()), "ok",
                    "agent=" + c.agentId() + " type=" + c.type().wireName() + " backend=" + c.backend()
                            + " targets=" + c.bindings().stream().map(TargetBinding::target).toList());
        });
        Rotation first = rotations.startAndRun(c.id(), RotationTrigger.INITIAL, actor);
        return new Created(c, first);
    }

    Credential validate(NewCredential req) {
        if (req == null) {
            throw RejectedException.badRequest("a JSON body is required");
        }
        AgentService.requireId("id", req.id());
        AgentService.requireId("agent", req.agent());
        CredentialType type = CredentialType.fromWire(req.type() == null ? "api-key" : req.type())
                .orElseThrow(() -> RejectedException.invalid("type", "'" + req.type()
                        + "' is not supported here (supported: api-key, certificate, password)"));
        CertificateProfile profile = type == CredentialType.CERTIFICATE ? profiles.parse(req) : null;
        if (profile == null) {
            CertificateProfiles.refuseCertificateFields(req);
        }
        PasswordPolicy password = type == CredentialType.PASSWORD ? passwordPolicy(req) : null;
        if (password == null) {
            refusePasswordFields(req);
        }
        String backend = req.backend() == null ? backends.names().get(0) : req.backend();
        if (backends.find(backend).isEmpty()) {
            throw RejectedException.invalid("backend", "no key backend named '" + backend + "' (configured: "
                    + backends.names() + ")");
        }
        RotationPolicy policy = profile == null ? policy(req.rotation()) : certificatePolicy(req, profile);
        Duration grace = req.gracePeriod() == null ? defaults.getGracePeriod() : duration("gracePeriod", req.gracePeriod());
        if (grace.isNegative()) {
            throw RejectedException.invalid("gracePeriod", "must not be negative");
        }
        if (profile != null && grace.compareTo(profile.validity()) >= 0) {
            throw RejectedException.invalid("gracePeriod", grace + " must be shorter than the certificate validity ("
                    + profile.validity() + "), or the old certificate would expire during its grace period");
        }
        Instant now = clock.instant();
        Duration interval = policy.nominalInterval(now);
        if (!interval.isZero() && grace.compareTo(interval) >= 0) {
            throw RejectedException.invalid("gracePeriod", grace + " must be shorter than the rotation interval ("
                    + interval + ")");
        }
        List<TargetBinding> bindings = bindings(req.targets());
        checkUses(bindings, new BindingUse(type.wireName(), profile != null && profile.keyCustody() == KeyCustody.EXPORT,
                bindings.stream().map(b -> targets.get(b.target()).endpoint(b)).filter(Objects::nonNull).toList()));
        if (password != null) {
            String usable = password.alphabetWithout(refusedCharacters(targets, bindings));
            if (usable.length() < PasswordPolicy.MIN_ALPHABET) {
                throw RejectedException.invalid("alphabet", "only " + usable.length() + " of its characters are "
                        + "accepted by every bound target (" + usable + "); at least " + PasswordPolicy.MIN_ALPHABET
                        + " are needed");
            }
        }
        AcknowledgementPolicy acks = acknowledgements(req, grace, interval);
        return new Credential(req.id(), req.agent(), type, backend, policy, grace, bindings,
                Credential.CredentialStatus.ACTIVE, null, now, null, profile, password, acks,
                CredentialScopes.of("scopes", req.scopes()));
    }

    /**
     * The consumers to wait for with {@code revokeWhen: acknowledged} (null with {@code grace}). The
     * maximum grace period lies between the grace period and the rotation interval, so that a
     * version is always revoked before the next rotation supersedes its successor.
     */
    static AcknowledgementPolicy acknowledgements(NewCredential req, Duration grace, Duration interval) {
        RevokeWhen when = req.revokeWhen() == null ? RevokeWhen.GRACE : RevokeWhen.fromWire(req.revokeWhen());
        if (when == null) {
            throw RejectedException.invalid("revokeWhen", "'" + req.revokeWhen()
                    + "' is not supported (supported: grace, acknowledged)");
        }
        if (when == RevokeWhen.GRACE) {
            if (req.consumers() != null) {
                throw RejectedException.invalid("consumers", "applies only to \"revokeWhen\": \"acknowledged\"");
            }
            if (req.maxGracePeriod() != null) {
                throw RejectedException.invalid("maxGracePeriod", "applies only to \"revokeWhen\": \"acknowledged\"");
            }
            return null;
        }
        List<String> consumers = req.consumers();
        if (consumers == null || consumers.isEmpty() || consumers.size() > AcknowledgementPolicy.MAX_CONSUMERS) {
            throw RejectedException.invalid("consumers", "must list 1 to " + AcknowledgementPolicy.MAX_CONSUMERS
                    + " consumer names");
        }
        for (String name : consumers) {
            if (name == null || !AcknowledgementPolicy.CONSUMER_NAME.matcher(name).matches()) {
                throw RejectedException.invalid("consumers", "'" + name + "' is not a consumer name (letters, digits, "
                        + "'.', '_' and '-', starting with a letter or digit, at most 64 characters)");
            }
        }
        if (new HashSet<>(consumers).size() != consumers.size()) {
            throw RejectedException.invalid("consumers", "must not name a consumer twice");
        }
        Duration max;
        if (req.maxGracePeriod() == null) {
            max = grace.multipliedBy(3);
            // Capped just below the interval: waiting past the next rotation would leave three live versions.
            if (!interval.isZero() && max.compareTo(interval) >= 0) {
                max = interval.minusSeconds(1);
            }
            if (max.compareTo(grace) < 0) {
                max = grace;
            }
        } else {
            max = duration("maxGracePeriod", req.maxGracePeriod());
            if (max.compareTo(grace) < 0) {
                throw RejectedException.invalid("maxGracePeriod", max + " must not be shorter than the grace period ("
                        + grace + ")");
            }
            if (!interval.isZero() && max.compareTo(interval) >= 0) {
                throw RejectedException.invalid("maxGracePeriod", max + " must be shorter than the rotation interval ("
                        + interval + ")");
            }
        }
        if (max.isZero()) {
            throw RejectedException.invalid("maxGracePeriod", "must be positive: give a grace period or a maxGracePeriod");
        }
        return new AcknowledgementPolicy(consumers, max);
    }

    private static PasswordPolicy passwordPolicy(NewCredential req) {
        int length = req.length() == null ? PasswordPolicy.DEFAULT_LENGTH : req.length();
        if (length < PasswordPolicy.MIN_LENGTH || length > PasswordPolicy.MAX_LENGTH) {
            throw RejectedException.invalid("length", "must be between " + PasswordPolicy.MIN_LENGTH + " and "
                    + PasswordPolicy.MAX_LENGTH + " (was " + length + ")");
        }
        String alphabet = req.alphabet() == null ? PasswordPolicy.DEFAULT_ALPHABET : req.alphabet();
        String problem = PasswordPolicy.alphabetProblem(alphabet);
        if (problem != null) {
            throw RejectedException.invalid("alphabet", problem);
        }
        return new PasswordPolicy(length, alphabet);
    }

    /** Length and alphabet mean nothing to an API key or a certificate: ignoring them would hide a mistaken type. */
    static void refusePasswordFields(NewCredential req) {
        if (req.length() != null) {
            throw RejectedException.invalid("length", "applies only to \"type\": \"password\"");
        }
        if (req.alphabet() != null) {
            throw RejectedException.invalid("alphabet", "applies only to \"type\": \"password\"");
        }
    }

    /** Every character that some binding's target refuses in a password. */
    static Set<Character> refusedCharacters(Targets targets, List<TargetBinding> bindings) {
        Set<Character> refused = new HashSet<>();
        for (TargetBinding b : bindings) {
            refused.addAll(targets.get(b.target()).refusedCharacters(b));
        }
        return refused;
    }

    /**
     * A certificate renews at {@code renewAt} of its validity unless an explicit rotation policy is
     * given, which must then renew before the certificate expires.
     */
    private RotationPolicy certificatePolicy(NewCredential req, CertificateProfile profile) {
        if (req.rotation() == null) {
            return RotationPolicy.every(profile.renewalInterval());
        }
        if (req.renewAt() != null) {
            throw RejectedException.invalid("renewAt", "give either renewAt or rotation, not both");
        }
        RotationPolicy policy = policy(req.rotation());
        Duration interval = policy.nominalInterval(clock.instant());
        if (interval.compareTo(profile.validity()) >= 0) {
            throw RejectedException.invalid("rotation", "the rotation interval (" + interval
                    + ") must be shorter than the certificate validity (" + profile.validity() + ")");
        }
        return policy;
    }

    private RotationPolicy policy(NewCredential.RotationSpec spec) {
        if (spec == null) {
            return RotationPolicy.every(defaults.getEvery());
        }
        boolean hasEvery = spec.every() != null && !spec.every().isBlank();
        boolean hasCron = spec.cron() != null && !spec.cron().isBlank();
        boolean manual = Boolean.TRUE.equals(spec.manual());
        if (spec.manual() != null && !manual) {
            throw RejectedException.invalid("rotation.manual", "may only be true; give 'every' or 'cron' for a schedule");
        }
        if ((hasEvery ? 1 : 0) + (hasCron ? 1 : 0) + (manual ? 1 : 0) != 1) {
            throw RejectedException.invalid("rotation", "give exactly one of 'every' (ISO-8601 duration), 'cron' or "
                    + "'manual': true");
        }
        if (manual) {
            return RotationPolicy.MANUAL;
        }
        if (hasEvery) {
            Duration every = duration("rotation.every", spec.every());
            if (every.compareTo(Duration.ofSeconds(1)) < 0) {
                throw RejectedException.invalid("rotation.every", "must be at least one second");
            }
            return RotationPolicy.every(every);
        }
        try {
            return RotationPolicy.cron(spec.cron());
        } catch (IllegalArgumentException e) {
            throw RejectedException.invalid("rotation.cron", "'" + spec.cron() + "' is not a valid Quartz cron expression");
        }
    }

    private List<TargetBinding> bindings(List<Map<String, String>> raw) {
        if (raw == null || raw.isEmpty()) {
            throw RejectedException.invalid("targets", "at least one target binding is required (configured targets: "
                    + targets.names() + ")");
        }
        if (raw.size() > MAX_TARGETS) {
            throw RejectedException.invalid("targets", "at most " + MAX_TARGETS + " bindings");
        }
        List<TargetBinding> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String field = "targets[" + i + "]";
            Map<String, String> m = raw.get(i) == null ? Map.of() : new LinkedHashMap<>(raw.get(i));
            String name = m.remove("target");
            if (name == null || name.isBlank()) {
                throw RejectedException.invalid(field + ".target", "is required");
            }
            Target target = targets.find(name).orElseThrow(() -> RejectedException.invalid(field + ".target",
                    "no target named '" + name + "' (configured: " + targets.names() + ")"));
            TargetBinding b = new TargetBinding(name, m);
            try {
                target.validateBinding(b);
            } catch (InvalidBindingException e) {
                throw new RejectedException(RejectedException.Kind.INVALID, field + "." + e.parameter(),
                        field + "." + e.getMessage());
            }
            if (out.contains(b)) {
                throw RejectedException.invalid(field, "duplicates an earlier binding");
            }
            out.add(b);
        }
        return out;
    }

    /** Checks each binding against the credential it serves, naming the field as {@link #bindings} does. */
    private void checkUses(List<TargetBinding> bindings, BindingUse use) {
        for (int i = 0; i < bindings.size(); i++) {
            TargetBinding b = bindings.get(i);
            try {
                targets.get(b.target()).validateUse(b, use);
            } catch (InvalidBindingException e) {
                String field = "targets[" + i + "]";
                throw new RejectedException(RejectedException.Kind.INVALID, field + "." + e.parameter(),
                        field + "." + e.getMessage());
            }
        }
    }

    static Duration duration(String field, String text) {
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw RejectedException.invalid(field, "'" + text + "' is not an ISO-8601 duration such as PT1H or P7D");
        }
    }

    /** The certificate issued for each version of {@code c}, by version; empty for an API key. */
    public Map<Integer, CertificateSummary> certificates(Credential c) {
        return c.type() == CredentialType.CERTIFICATE ? authorities.issuedFor(c.id()) : Map.of();
    }

    /** {@link #certificates(Credential)} for a page of credentials, in one look-up, by credential id. */
    public Map<String, Map<Integer, CertificateSummary>> certificates(List<Credential> page) {
        List<String> ids = page.stream().filter(c -> c.type() == CredentialType.CERTIFICATE).map(Credential::id).toList();
        return ids.isEmpty() ? Map.of() : authorities.issuedFor(ids);
    }

    /** By version, the user names the versions of {@code c} log in with where a binding decides them. */
    public Map<Integer, List<Login>> logins(Credential c, List<CredentialVersion> versions) {
        return records.logins(c, versions);
    }

    public Credential get(String id) {
        return store.read(d -> d.credentials().find(id)).orElseThrow(() -> RejectedException.notFound("credential", id));
    }
}
