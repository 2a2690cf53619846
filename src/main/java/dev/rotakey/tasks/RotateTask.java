package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.service.RotationService;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code POST /tasks/rotate?credential={id}} or {@code ?agent={id}}: starts rotations now and answers their ids. */
public final class RotateTask extends OperatorTask {
    private final RotationService rotations;
    private final AuditLog audit;

    public RotateTask(RotationService rotations, AuditLog audit, ObjectMapper mapper) {
        super("rotate", mapper);
        this.rotations = rotations;
        this.audit = audit;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        Optional<String> credential = param(parameters, "credential");
        Optional<String> agent = param(parameters, "agent");
        if (credential.isPresent() == agent.isPresent()) {
            throw RejectedException.badRequest("give exactly one of ?credential=<id> or ?agent=<id>");
        }
        List<Rotation> started = credential.isPresent()
                ? List.of(rotations.startAsync(credential.get(), RotationTrigger.OPERATOR, operator.actor(), false))
                : rotations.rotateAgent(agent.get(), operator.actor());
        audit.record(operator.actor(), AuditAction.OPERATOR_ROTATE,
                credential.map(AuditSubject::credential).orElse("agent:" + agent.orElse("")), "ok",
                started.size() + " rotation(s) started");
        return Map.of("rotations", TaskViews.rotations(started));
    }
}
