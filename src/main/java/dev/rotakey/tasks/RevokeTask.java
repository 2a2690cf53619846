package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.Rotation;
import dev.rotakey.service.RotationService;

import java.util.List;
import java.util.Map;

/**
 * {@code POST /tasks/revoke?credential={id}}: the emergency. Previous versions are revoked now,
 * and a rotation starts whose promotion revokes the current version at once, without grace.
 */
public final class RevokeTask extends OperatorTask {
    private final RotationService rotations;
    private final AuditLog audit;

    public RevokeTask(RotationService rotations, AuditLog audit, ObjectMapper mapper) {
        super("revoke", mapper);
        this.rotations = rotations;
        this.audit = audit;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        String credential = requireParam(parameters, "credential");
        audit.record(operator.actor(), AuditAction.OPERATOR_REVOKE, AuditSubject.credential(credential), "ok", "emergency revoke");
        Rotation r = rotations.emergencyRevoke(credential, operator.actor());
        return Map.of("rotations", TaskViews.rotations(List.of(r)));
    }
}
