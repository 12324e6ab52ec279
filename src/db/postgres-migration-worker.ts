// Entry of the worker thread that applies migrations on PostgreSQL (postgres-migrations.ts).
import { parentPort, workerData } from 'node:worker_threads'
import { applyPostgresMigrations } from './postgres-migrations.js'

parentPort!.postMessage(await applyPostgresMigrations((workerData as { url: string }).url))
