import { Column, CreateDateColumn, Entity, Unique, UpdateDateColumn } from 'typeorm';
import { GeneratedIdColumn, pointInTimeColumn } from '../../database/column-types';

/** A Conduit account. `passwordHash` is PasswordHasher's output, never the password. */
@Entity('conduit_user')
@Unique('conduit_user_email_key', ['email'])
@Unique('conduit_user_username_key', ['username'])
export class User {
  @GeneratedIdColumn()
  id: number;

  /** Stored lower-cased: one account per mailbox, whatever the case a client types. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'varchar', length: 40 })
  username: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  @Column({ type: 'text', default: '' })
  bio: string;

  @Column({ type: 'varchar', length: 2048, default: '' })
  image: string;

  @CreateDateColumn({ name: 'created_at', ...pointInTimeColumn() })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', ...pointInTimeColumn() })
  updatedAt: Date;
}
