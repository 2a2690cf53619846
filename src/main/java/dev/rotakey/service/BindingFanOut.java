package dev.rotakey.service;

import dev.rotakey.core.Credential;
import dev.rotakey.core.FailPoints;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * Calls each bound target once for one version of a credential: builds the binding's {@link Delivery} or
 * {@link Revocation} with what is recorded for it, calls the binding's target, and passes the crash tests' fail
 * point between two targets. Deliveries stop at the first failure (the step is retried as a whole); removals try
 * every binding and report the failures together.
 */
final class BindingFanOut {
    private final Store store;
    private final Targets targets;
    private final BindingRecords records;

    BindingFanOut(Store store, Targets targets) {
        this.store = store;
        this.targets = targets;
        this.records = new BindingRecords(store, targets);
    }

    /** Delivers {@code material} as {@code version} to every binding, in binding order. */
    void deliver(Credential c, int version, IssuedMaterial material) {
        deliver(c, records.deliveries(c, version, material));
    }

    /** Makes {@code deliveries} (one per binding of {@code c}, in binding order, as {@link BindingRecords} makes them). */
    void deliver(Credential c, List<Delivery> deliveries) {
        each(c, deliveries, "deliver.between-targets", (t, d) -> {
            t.deliver(d);
            return null;
        });
    }

    /** Asks every binding's target whether {@code material} works there as {@code version}. */
    void verify(Credential c, int version, IssuedMaterial material) {
        verify(c, records.deliveries(c, version, material));
    }

    /** Asks the target of each of {@code deliveries} whether it works there. */
    void verify(Credential c, List<Delivery> deliveries) {
        each(c, deliveries, "verify.between-targets", (t, d) -> {
            t.verify(d);
            return null;
        });
    }

    /**
     * Each binding's target reference to {@code material} (null for targets that need none), by binding index. With
     * what is recorded (this version's own references, the CURRENT version's): where an earlier life of this version
     * went, and which role of an alternating pair the CURRENT version holds, decide the placement.
     */
    List<String> references(Credential c, int version, IssuedMaterial material) {
        return references(c, records.deliveries(c, version, material));
    }

    /** {@link #references} for {@code deliveries}. */
    List<String> references(Credential c, List<Delivery> deliveries) {
        return each(c, deliveries, null, Target::materialReference);
    }

    private <T> List<T> each(Credential c, List<Delivery> deliveries, String failPoint,
                             BiFunction<Target, Delivery, T> call) {
        List<TargetBinding> bindings = c.bindings();
        List<T> out = new ArrayList<>();
        for (Delivery d : deliveries) {
            out.add(call.apply(targets.get(d.binding().target()), d));
            if (failPoint != null) {
                FailPoints.between(failPoint, c.id(), bindings, d.binding());
            }
        }
        return out;
    }

    /**
     * Asks every binding's target to remove {@code version} ({@code action} is {@link Target#revoke} or
     * {@link Target#discard}), with the references recorded for it there; a failure is added to {@code failures}
     * and the next binding is still asked.
     *
     * @param onlyReferenced ask only the bindings that recorded a reference for the version
     * @param failPoint      the fail point between two targets, or null
     */
    void remove(Credential c, int version, Revocation.MaterialMatcher matcher, boolean onlyReferenced,
                BiConsumer<Target, Revocation> action, String failPoint, PartialFailures failures) {
        List<TargetBinding> bindings = c.bindings();
        for (int i = 0; i < bindings.size(); i++) {
            int index = i;
            TargetBinding b = bindings.get(i);
            failures.attempt(b.target(), () -> {
                List<String> references = store.read(d -> d.deliveries().references(c.id(), version, index));
                if (onlyReferenced && references.isEmpty()) {
                    return;
                }
                action.accept(targets.get(b.target()),
                        new Revocation(c.agentId(), c.id(), c.type().wireName(), version, b, matcher, references));
                if (failPoint != null) {
                    FailPoints.between(failPoint, c.id(), bindings, b);
                }
            });
        }
    }
}
