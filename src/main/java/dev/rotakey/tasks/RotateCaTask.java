package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.api.CertificateAuthorityView;
import dev.rotakey.auth.Operator;
import dev.rotakey.ca.CertificateAuthorities;

import java.util.List;
import java.util.Map;

/**
 * {@code POST /tasks/rotate-ca?ca={name}}: makes a new generation of a CA ACTIVE (new key, same
 * subject) and the previous one RETIRING, and answers with the CA's generations.
 */
public final class RotateCaTask extends OperatorTask {
    private final CertificateAuthorities authorities;

    public RotateCaTask(CertificateAuthorities authorities, ObjectMapper mapper) {
        super("rotate-ca", mapper);
        this.authorities = authorities;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) {
        return CertificateAuthorityView.of(authorities.rotate(requireParam(parameters, "ca"), operator.actor()));
    }
}
