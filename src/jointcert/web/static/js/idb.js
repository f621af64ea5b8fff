/**
 * A few promise helpers over IndexedDB: open a database with one object store, and run one transaction.
 * Failures of IndexedDB itself (blocked, quota, private mode) become StorageUnavailableError.
 * @module idb
 */

import { StorageUnavailableError } from "./errors.js";

/**
 * The result of an IDBRequest as a promise.
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
export function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Open (creating if needed) a database holding one object store keyed by `keyPath`.
 * @param {string} name
 * @param {string} store
 * @param {string} keyPath
 * @returns {Promise<IDBDatabase>}
 * @throws {StorageUnavailableError}
 */
export async function openStore(name, store, keyPath) {
  try {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store, { keyPath });
    };
    const db = await result(request);
    db.onversionchange = () => db.close();
    return db;
  } catch (err) {
    throw new StorageUnavailableError({ cause: err });
  }
}

/**
 * Run `work` inside one transaction on `store`; resolve with its value once the transaction has committed.
 * `work` may await IDB requests (through {@link result}) but nothing else: a transaction ends when it idles.
 * If `work` throws, the transaction is aborted; IndexedDB's own errors (DOMException: quota, …) become
 * StorageUnavailableError, other errors pass through unchanged.
 * @template T
 * @param {IDBDatabase} db
 * @param {string} store
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function transact(db, store, mode, work) {
  let tx;
  try {
    tx = db.transaction(store, mode);
  } catch (err) {
    throw new StorageUnavailableError({ cause: err });
  }
  const committed = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = () => reject(new StorageUnavailableError({ cause: tx.error }));
  });
  let value;
  try {
    value = await work(tx.objectStore(store));
  } catch (err) {
    committed.catch(() => {});
    try {
      tx.abort();
    } catch {
      // the transaction had already finished
    }
    throw err instanceof DOMException ? new StorageUnavailableError({ cause: err }) : err;
  }
  await committed;
  return value;
}
