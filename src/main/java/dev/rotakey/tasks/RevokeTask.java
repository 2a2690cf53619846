package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.auth.Operator;
import dev.rotakey.batch.OperatorBatches;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /tasks/revoke?credential={id}}: the emergency. Previous versions are revoked now, and a rotation starts
 * whose promotion revokes the current version at once, without grace; it answers the rotation and the batch that
 * removes the revoked versions from the targets.
 */
public final class RevokeTask extends OperatorTask {
    private final OperatorBatches batches;

    public RevokeTask(OperatorBatches batches, ObjectMapper mapper) {
        super("revoke", mapper);
        this.batches = batches;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        String credential = requireParam(parameters, "credential");
        OperatorBatches.Started started = batches.emergencyRevoke(credential, operator.actor());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("rotations", TaskViews.rotations(List.of(started.rotation())));
        answer.put("batch", TaskViews.batch(started.batch()));
        return answer;
    }
}
