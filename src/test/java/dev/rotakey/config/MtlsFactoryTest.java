package dev.rotakey.config;

import io.dropwizard.jersey.validation.Validators;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code auth.mtls}: what start-up refuses, each with a message that says what to write instead. */
class MtlsFactoryTest {
    private final Validator validator = Validators.newValidator();

    private static MtlsFactory.AuthorityFactory ca(String name) {
        MtlsFactory.AuthorityFactory a = new MtlsFactory.AuthorityFactory();
        a.setCa(name);
        return a;
    }

    private static MtlsFactory.RoleMappingFactory subject(String subject, String role) {
        MtlsFactory.RoleMappingFactory m = new MtlsFactory.RoleMappingFactory();
        m.setSubject(subject);
        m.setRole(role);
        return m;
    }

    private static MtlsFactory enabled() {
        MtlsFactory f = new MtlsFactory();
        f.setEnabled(true);
        f.setAuthorities(List.of(ca("agents-ca")));
        MtlsFactory.AgentsFactory agents = new MtlsFactory.AgentsFactory();
        agents.setCa("agents-ca");
        f.setAgents(agents);
        return f;
    }

    private List<String> problems(Object factory) {
        Set<ConstraintViolation<Object>> violations = validator.validate(factory);
        return violations.stream().map(v -> v.getPropertyPath() + " " + v.getMessage()).toList();
    }

    @Test
    void offByDefaultAndAValidBlockPasses() {
        assertThat(new MtlsFactory().isEnabled()).isFalse();
        assertThat(problems(new MtlsFactory())).isEmpty();
        MtlsFactory f = enabled();
        f.setRoles(List.of(subject("CN=dashboard, O=Example", "auditor")));
        assertThat(problems(f)).isEmpty();
    }

    @Test
    void enabledWithoutAuthoritiesOrWithoutAnyoneToAuthenticateIsRefused() {
        MtlsFactory f = enabled();
        f.setAuthorities(List.of());
        assertThat(problems(f)).anyMatch(p -> p.contains("at least one authority"));
        MtlsFactory nobody = enabled();
        nobody.setAgents(null);
        assertThat(problems(nobody)).anyMatch(p -> p.contains("needs agents or roles"));
    }

    @Test
    void anAuthorityIsEitherANamedCaOrACaFile() {
        MtlsFactory.AuthorityFactory both = ca("agents-ca");
        both.setCaFile("/etc/ca.pem");
        MtlsFactory.AuthorityFactory crlAlone = ca("agents-ca");
        crlAlone.setCrlFile("/etc/ca.crl");
        MtlsFactory.AuthorityFactory neither = new MtlsFactory.AuthorityFactory();
        for (MtlsFactory.AuthorityFactory a : List.of(both, crlAlone, neither)) {
            assertThat(problems(a)).singleElement().asString().contains("either {ca:");
        }
        MtlsFactory.AuthorityFactory file = new MtlsFactory.AuthorityFactory();
        file.setCaFile("/etc/ca.pem");
        file.setCrlFile("/etc/ca.crl");
        assertThat(problems(file)).isEmpty();
    }

    @Test
    void theAgentsCaMustBeAnAuthorityAndItsTrustDomainADnsName() {
        MtlsFactory f = enabled();
        f.getAgents().setCa("other-ca");
        assertThat(problems(f)).anyMatch(p -> p.contains("agents.ca must be one of the authorities"));
        MtlsFactory g = enabled();
        g.getAgents().setTrustDomain("Not A Domain");
        assertThat(problems(g)).anyMatch(p -> p.contains("lower-case DNS name"));
    }

    @Test
    void aRoleMappingNamesOneMatchAMappableRoleAndAWellFormedSubject() {
        MtlsFactory.RoleMappingFactory two = subject("CN=a", "auditor");
        two.setDns("a.example");
        assertThat(problems(two)).anyMatch(p -> p.contains("exactly one of subject, uri or dns"));
        assertThat(problems(subject("CN=a", "agent"))).anyMatch(p -> p.contains("role must be one of"));
        assertThat(problems(subject("CN=a", "owner"))).anyMatch(p -> p.contains("role must be one of"));
        assertThat(problems(subject("CN=a", "root"))).anyMatch(p -> p.contains("role must be one of"));
        assertThat(problems(subject("not a name", "auditor"))).anyMatch(p -> p.contains("X.500 name"));
    }

    @Test
    void theNamedCasMustBeConfiguredCertificateAuthorities() {
        dev.rotakey.RotakeyConfiguration c = new dev.rotakey.RotakeyConfiguration();
        c.setCertificateAuthorities(new java.util.LinkedHashMap<>(java.util.Map.of("agents-ca",
                new dev.rotakey.ca.CertificateAuthorityFactory())));
        c.getAuth().setMtls(enabled());
        assertThat(c.isMtlsCasConfigured()).isTrue();
        c.getAuth().getMtls().setAuthorities(List.of(ca("agents-ca"), ca("nowhere-ca")));
        assertThat(c.isMtlsCasConfigured()).isFalse();
    }
}
