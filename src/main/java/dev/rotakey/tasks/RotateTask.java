package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.auth.Operator;
import dev.rotakey.batch.Batch;
import dev.rotakey.batch.OperatorBatches;
import dev.rotakey.core.RejectedException;
import dev.rotakey.service.OwnerScope;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /tasks/rotate?credential={id}}: starts the credential's rotation and answers its id; or
 * {@code ?agent={id}}: answers at once with the batch that starts the rotation of each of the agent's active
 * credentials in the background ({@code GET /api/v1/batches/{id}} follows it).
 */
public final class RotateTask extends OperatorTask {
    private final OperatorBatches batches;
    private final OwnerScope scope;

    public RotateTask(OperatorBatches batches, OwnerScope scope, ObjectMapper mapper) {
        super("rotate", mapper);
        this.batches = batches;
        this.scope = scope;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        Optional<String> credential = param(parameters, "credential");
        Optional<String> agent = param(parameters, "agent");
        if (credential.isPresent() == agent.isPresent()) {
            throw RejectedException.badRequest("give exactly one of ?credential=<id> or ?agent=<id>");
        }
        // An owner-scoped token rotates its owner's agents and credentials only; others are not found.
        credential.ifPresent(id -> scope.credential(operator.bounds(), id));
        agent.ifPresent(id -> scope.agent(operator.bounds(), id));
        Map<String, Object> answer = new LinkedHashMap<>();
        if (credential.isPresent()) {
            OperatorBatches.Started started = batches.rotateCredential(credential.get(), operator.actor());
            answer.put("rotations", TaskViews.rotations(List.of(started.rotation())));
            answer.put("batch", TaskViews.batch(started.batch()));
        } else {
            Batch b = batches.rotateAgent(agent.get(), operator.actor());
            answer.put("agent", agent.get());
            answer.put("batch", TaskViews.batch(b));
        }
        return answer;
    }
}
