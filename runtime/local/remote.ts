/**
 * What the local CLI and the library use to reach a deployed environment with the caller's AWS
 * credentials: the SigV4 signer of the typed HTTP client (`--api URL`) and the AWS checks of
 * `thermocline doctor`.
 */
export { regionOfApiUrl, sigV4Signer, type SigV4SignerOptions } from '#adapters/aws/sigv4-signer';
export { awsDoctorClients, runDoctor, type DoctorCheck } from '#adapters/aws/deployment-doctor';
