package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.auth.Operator;
import dev.rotakey.batch.OperatorBatches;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /tasks/decommission?agent={id}}: marks the agent and its credentials decommissioned now (their keys no
 * longer verify) and answers with the batch that revokes their versions at the targets.
 */
public final class DecommissionTask extends OperatorTask {
    private final OperatorBatches batches;

    public DecommissionTask(OperatorBatches batches, ObjectMapper mapper) {
        super("decommission", mapper);
        this.batches = batches;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        String agent = requireParam(parameters, "agent");
        OperatorBatches.Decommissioned done = batches.decommission(agent, operator.actor());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("agent", agent);
        answer.put("decommissioned", true);
        answer.put("credentials", done.credentials());
        answer.put("batch", TaskViews.batch(done.batch()));
        return answer;
    }
}
