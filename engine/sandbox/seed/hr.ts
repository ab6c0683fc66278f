// The `hr` database: employees (validated, with a case-insensitive unique email) and a directory view.
import { Binary, Double, Int32, type Document } from 'mongodb';
import { decimalFromCents } from './money.js';
import { SeededRandom } from './random.js';
import type { DemoDatabase } from './types.js';
import { CITIES, DEPARTMENTS, FIRST_NAMES, LAST_NAMES, TITLES } from './words.js';

const FOUNDED = new Date('2012-01-01T00:00:00Z');
const SKILLS = ['sql', 'mongodb', 'typescript', 'negotiation', 'accounting', 'design', 'writing', 'support'];

export const HR_SIZES = { employees: 1200 } as const;

export function hrDatabase(): DemoDatabase {
  return {
    name: 'hr',
    collections: [
      {
        name: 'employees',
        options: { validator: { email: { $type: 'string' }, hiredAt: { $type: 'date' } } },
        documents: makeEmployees(new SeededRandom(301), HR_SIZES.employees),
        indexes: [
          {
            key: { email: 1 },
            name: 'email_unique_ci',
            unique: true,
            collation: { locale: 'en', strength: 2 },
          },
          { key: { department: 1, 'salary.base': -1 } },
          { key: { 'office.location': '2dsphere' } },
          { key: { managerId: 1 }, sparse: true },
        ],
      },
      {
        name: 'directory',
        options: {
          viewOn: 'employees',
          pipeline: [
            { $match: { active: true } },
            { $project: { _id: 0, name: 1, email: 1, department: 1, title: 1, city: '$office.city' } },
          ],
        },
      },
    ],
  };
}

function makeEmployees(random: SeededRandom, count: number): Document[] {
  const employees: Document[] = [];
  for (let i = 0; i < count; i++) {
    const id = i + 1;
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const city = random.pick(CITIES);
    const employee: Document = {
      _id: new Int32(id),
      name: `${first} ${last}`,
      email: `${first}.${last}.${id}@corp.example.com`,
      department: random.pick(DEPARTMENTS),
      title: random.pick(TITLES),
      hiredAt: random.dateWithin(FOUNDED, 4500),
      salary: {
        base: decimalFromCents(random.int(3_000_000, 18_000_000)),
        currency: 'EUR',
        bonusPercent: new Double(random.amount(0, 20, 1)),
      },
      skills: random.sample(SKILLS, random.int(1, 4)),
      office: {
        city: city.name,
        country: city.country,
        location: { type: 'Point', coordinates: random.near(city.coordinates) },
      },
      active: random.chance(0.92),
      badgePhotoHash: new Binary(random.bytes(32)),
      emergencyContact: random.chance(0.2) ? null : { name: `${random.pick(FIRST_NAMES)} ${last}`, relation: 'family' },
    };
    // The first dozen people have no manager; everyone else reports to one of them or to a peer hired before.
    if (id > 12) employee.managerId = new Int32(random.int(1, Math.min(id - 1, 120)));
    employees.push(employee);
  }
  return employees;
}
