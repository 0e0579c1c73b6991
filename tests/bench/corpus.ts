// Realistic work-chat text for seeding benchmark stores (shared by the ui and wipe sections).

export const FIRST = ['Emma', 'Liam', 'Sofia', 'Noah', 'Mia', 'Lucas', 'Hannah', 'Jonas', 'Lea', 'Elias', 'Clara', 'Ben', 'Amelie', 'Paul',
  'Marta', 'Tomás', 'Aiko', 'Ravi', 'Chloé', 'Mateo', 'Ingrid', 'Omar', 'Priya', 'Sven', 'Fatima', 'Diego', 'Yuki', 'Anna', 'Kofi', 'Leila'];
export const LAST = ['Müller', 'Schmidt', 'García', 'Rossi', 'Dubois', 'Nguyen', 'Kowalski', 'Jansen', 'Silva', 'Andersson', 'Okafor', 'Tanaka',
  'Fischer', 'Moreau', 'Novak', 'Patel', 'Becker', 'Lindqvist', 'Hoffmann', 'Costa'];
const TOPICS = ['the Q3 budget', 'the release notes', 'the customer call', 'the security audit', 'the onboarding plan', 'the board deck',
  'the API migration', 'the hiring pipeline', 'the vendor contract', 'the incident report', 'the roadmap', 'the travel policy',
  'the load test results', 'the pricing page', 'the data retention policy', 'the offsite agenda'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'tomorrow', 'next week', 'after lunch', 'end of day'];
const TIMES = ['9:30', '10', '11:15', '1 pm', '2:30', '3', '4 pm', '5'];
const SHORT = ['ok', 'Thanks!', 'Sounds good 👍', 'Sure', 'On it.', 'Will do', 'Great, thank you', 'Yes', 'No worries', 'lol', 'Done ✅',
  'One sec', 'Perfect', 'Got it, thanks', 'Running 5 min late, sorry'];
const TEMPLATES: ((r: () => number) => string)[] = [
  (r) => `Can you have a look at ${pick(r, TOPICS)} before ${pick(r, DAYS)}?`,
  (r) => `I pushed the changes to ${pick(r, TOPICS)}, let me know if anything looks off.`,
  (r) => `Are we still on for ${pick(r, TIMES)} ${pick(r, DAYS)}?`,
  (r) => `Quick question about ${pick(r, TOPICS)}: do we need sign-off from legal, or is the team lead enough?`,
  (r) => `Moved our sync to ${pick(r, TIMES)} ${pick(r, DAYS)}, hope that works for you.`,
  (r) => `The numbers for ${pick(r, TOPICS)} look better than expected. I'll share the sheet in a minute.`,
  (r) => `Heads up: ${pick(r, TOPICS)} slipped to ${pick(r, DAYS)}. Nothing critical, but the customer should hear it from us first.`,
  (r) => `Thanks for jumping on ${pick(r, TOPICS)} so quickly yesterday. Really appreciated.`,
  (r) => `I left a few comments on ${pick(r, TOPICS)}. Mostly wording, one real question on page 4.`,
  (r) => `Can we push ${pick(r, TOPICS)} to ${pick(r, DAYS)}? I'm out sick today.`,
  (r) => `Who owns ${pick(r, TOPICS)} now that the team was reorganised?`,
  (r) => `Just got off the phone with them. They're happy with ${pick(r, TOPICS)} but want the dates in writing by ${pick(r, DAYS)}.`,
  (r) => `Reminder: ${pick(r, TOPICS)} is due ${pick(r, DAYS)}. I can take the first half if you take the rest.`,
  (r) => `Lunch ${pick(r, DAYS)}? The new place near the station is supposed to be good.`,
  (r) => `I think we should split ${pick(r, TOPICS)} into two parts: what ships now, and what waits for the next quarter. ` +
    `Otherwise we keep arguing about scope and nothing moves. Happy to write it up if you agree.`,
];
export const pick = <T>(r: () => number, xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
export const messageText = (r: () => number): string => {
  const x = r();
  if (x < 0.3) return pick(r, SHORT);
  const s = pick(r, TEMPLATES)(r);
  return x > 0.93 ? `${s} ${pick(r, TEMPLATES)(r)}` : s;
};

