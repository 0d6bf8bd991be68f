-- One database per service, each owned by its own role: a service can reach only its own data.
-- Passwords come from the environment of the postgres container (see docker-compose.yml); the
-- defaults below are for a laptop only and are overridden by .env.
\set pw `echo "${SPORTELLO_DB_PASSWORD:-sportello-dev}"`
CREATE ROLE accounts LOGIN PASSWORD :'pw';
CREATE ROLE catalog LOGIN PASSWORD :'pw';
CREATE ROLE cart LOGIN PASSWORD :'pw';
CREATE ROLE quotes LOGIN PASSWORD :'pw';
CREATE ROLE orders LOGIN PASSWORD :'pw';
CREATE ROLE notifications LOGIN PASSWORD :'pw';
CREATE ROLE invoicing LOGIN PASSWORD :'pw';
CREATE ROLE documents LOGIN PASSWORD :'pw';
CREATE DATABASE sportello_accounts OWNER accounts;
CREATE DATABASE sportello_catalog OWNER catalog;
CREATE DATABASE sportello_cart OWNER cart;
CREATE DATABASE sportello_quotes OWNER quotes;
CREATE DATABASE sportello_orders OWNER orders;
CREATE DATABASE sportello_notifications OWNER notifications;
CREATE DATABASE sportello_invoicing OWNER invoicing;
CREATE DATABASE sportello_documents OWNER documents;
