/** The alert port: where failures are reported (SNS on AWS; a log file and stderr locally). */
export interface Alerts {
  /** Sends one alert. */
  notify(subject: string, message: string): Promise<void>;
}
