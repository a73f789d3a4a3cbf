import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The row the replication scenarios write and read back: an id and a body that each write changes. */
@Entity('notes')
export class Note {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64 })
  body: string;
}

/** The table of Note, created on the primary and replicated: the app user's DDL, as a migration would run it. */
export const CREATE_NOTES_TABLE = 'CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(64) NOT NULL)';
