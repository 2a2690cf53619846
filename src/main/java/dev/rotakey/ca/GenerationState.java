package dev.rotakey.ca;

import dev.rotakey.db.CertificateAuthorityDao.CaRecord;

/**
 * Where a CA generation is in its life. The database stores the constant's name in
 * {@code certificate_authorities.state}, so the names are part of the schema.
 */
public enum GenerationState {
    /** The one generation of a CA that issues leaves. */
    ACTIVE,
    /**
     * Replaced by a newer generation: issues nothing, but stays in the chain and keeps signing its
     * CRL while a leaf or a child CA generation it signed is still in use.
     */
    RETIRING,
    /** Nothing it signed is in use: out of the chain, its key destroyed; its last CRL is still served. */
    RETIRED;

    /** The state of a stored generation. */
    static GenerationState of(CaRecord generation) {
        return valueOf(generation.state());
    }
}
