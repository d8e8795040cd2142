-- Sentiric's genesis block: the saga ledger its services share.
CREATE TABLE saga_transactions (
    id          bigserial PRIMARY KEY,
    saga_id     uuid NOT NULL,
    step        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('pending', 'done', 'compensated', 'failed')),
    payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saga_transactions_saga_id ON saga_transactions (saga_id);
ALTER TABLE saga_transactions OWNER TO sentiric;
