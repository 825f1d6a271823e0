/**
 * Many instances on a real Redis Cluster (3 masters, 3 replicas) over real HTTP: four app
 * processes (Express, Koa, Fastify, Express), a real identity service. Nothing is mocked.
 */
import { sharedTierCases } from './support/shared-tier-cases.js';

sharedTierCases('cluster');
