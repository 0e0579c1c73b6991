// Storage contract of the business tools (server/business/, wire: common/wire/business.ts), beside types.ts
// (which re-exports it): the company profile, the welcome message, published away status, aggregate daily counters.
export interface CompanyProfileRecord {
  name: string;
  description: string;
  website: string;
  support: string;
  officeHours: string;
  logo: { contentType: string; data: Uint8Array; sha256: string } | null;
  updatedAt: number;
  updatedBy: string;
}

export interface AwayRecord { text: string; until: number | null; outsideWorkingHours: boolean; updatedAt: number }

/** A closed day's totals; open days are counted from their sets. */
export interface DailyCounts { day: string; messagesRelayed: number; activeDevices: number; activeUsers: number; groups: number }

export interface BusinessStore {
  profile(): Promise<CompanyProfileRecord | undefined>;
  /** `logo` undefined keeps the stored one, null removes it. */
  setProfile(p: Omit<CompanyProfileRecord, 'logo'> & { logo?: CompanyProfileRecord['logo'] }): Promise<CompanyProfileRecord>;
  welcome(): Promise<{ text: string | null; updatedAt: number }>;
  setWelcome(text: string | null, now: number): Promise<void>;
  away(userId: string): Promise<AwayRecord | undefined>;
  setAway(userId: string, away: AwayRecord): Promise<void>;
  clearAway(userId: string): Promise<void>;
  /**
   * Adds plain per-day totals: `relayed` sends, and members of the day's distinct sets ('u' users, 'd' devices,
   * 'g' groups). The sets exist only while their day is open: closeDaysBefore turns them into counts.
   */
  count(day: string, relayed: number, members: Array<{ kind: 'u' | 'd' | 'g'; id: string }>): Promise<void>;
  /** For every day before `day` that still has a set: stores its distinct counts and deletes the set (one transaction). */
  closeDaysBefore(day: string): Promise<void>;
  /** Days from..to inclusive (UTC YYYY-MM-DD), oldest first, only those with anything counted; open days counted from their sets. */
  daily(from: string, to: string): Promise<DailyCounts[]>;
}
