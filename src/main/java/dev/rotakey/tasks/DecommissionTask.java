package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.auth.Operator;
import dev.rotakey.service.RotationService;

import java.util.List;
import java.util.Map;

/** {@code POST /tasks/decommission?agent={id}}: revokes everything of an agent now and marks it decommissioned. */
public final class DecommissionTask extends OperatorTask {
    private final RotationService rotations;
    private final AuditLog audit;

    public DecommissionTask(RotationService rotations, AuditLog audit, ObjectMapper mapper) {
        super("decommission", mapper);
        this.rotations = rotations;
        this.audit = audit;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        String agent = requireParam(parameters, "agent");
        audit.record(operator.actor(), AuditAction.OPERATOR_DECOMMISSION, "agent:" + agent, "ok", null);
        List<String> credentials = rotations.decommission(agent, operator.actor());
        return Map.of("agent", agent, "decommissioned", true, "credentials", credentials);
    }
}
